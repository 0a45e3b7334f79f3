/**
 * ZDT1 for the multi-objective tests (NSGA-II, MOTPE): 6-d on [0, 1], a convex front
 * f2 = 1 - sqrt(f1) where x1..x5 = 0, scored by the 2-D hypervolume of the found front.
 */
import { Metric } from "../trial/metric.js";
import type { TrialReport } from "../trial/report.js";
import { hypervolume2D, lossesOf, paretoFront } from "./pareto.js";
import { float } from "./space/builders.js";
import { space } from "./space/search-space.js";

export const f1 = new Metric("f1");
export const f2 = new Metric("f2");
export const DIM = 6;

/** The 6-d unit-cube space of ZDT1 (`x0`..`x5`). */
export const zdtSpace = () =>
  space(Object.fromEntries(Array.from({ length: DIM }, (_, i) => [`x${i}`, float(0, 1)])));

/** ZDT1's two objectives for a config of {@link zdtSpace}. */
export function zdt1(c: Record<string, unknown>): { f1: number; f2: number } {
  const x = Array.from({ length: DIM }, (_, i) => c[`x${i}`] as number);
  const g = 1 + (9 * x.slice(1).reduce((s, v) => s + v, 0)) / (DIM - 1);
  return { f1: x[0] as number, f2: g * (1 - Math.sqrt((x[0] as number) / g)) };
}

/** Reference point of the hypervolume (the true front's value is about 11.77). */
export const REF: [number, number] = [1.1, 11];

/** Hypervolume of the reports' Pareto front. */
export const hv = (reports: TrialReport[]) =>
  hypervolume2D(
    paretoFront(reports, [f1, f2]).map((r) => lossesOf(r, [f1, f2]) as number[]),
    REF,
  );
