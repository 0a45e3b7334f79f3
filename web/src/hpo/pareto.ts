/**
 * The Pareto front of a multi-objective sweep (NSGA-II, MOTPE): each trial by two summary
 * metrics, the non-dominated trials marked and joined by the front's staircase. `data-front`
 * counts the front's trials, `data-points` every trial with both metrics.
 */
import uPlot from "uplot";
import type { Run } from "../api.js";
import { xNumberAxis, yAxis } from "../charts/axis.js";
import { pathValue } from "../run-fields.js";
import { sweepChart } from "./sweep-chart.js";

export type Direction = "min" | "max";

interface Trial {
  r: Run;
  a: number;
  b: number;
}

/**
 * The non-dominated trials, in order of the first metric: no other trial is at least as good
 * on both metrics and better on one.
 */
export function paretoFront(trials: readonly Trial[], da: Direction, db: Direction): Trial[] {
  const sa = da === "min" ? 1 : -1;
  const sb = db === "min" ? 1 : -1;
  const sorted = trials.slice().sort((x, y) => sa * (x.a - y.a) || sb * (x.b - y.b));
  const front: Trial[] = [];
  let bestB = Number.POSITIVE_INFINITY;
  for (const t of sorted) {
    if (sb * t.b < bestB) {
      front.push(t);
      bestB = sb * t.b;
    }
  }
  return front;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);

export function paretoChart(
  runs: readonly Run[],
  ma: string,
  da: Direction,
  mb: string,
  db: Direction,
  width: number,
): HTMLElement {
  const trials: Trial[] = [];
  for (const r of runs) {
    const a = num(pathValue(r, `summary.${ma}`));
    const b = num(pathValue(r, `summary.${mb}`));
    if (a !== null && b !== null) trials.push({ r, a, b });
  }
  const front = paretoFront(trials, da, db);
  const onFront = new Set(front.map((t) => t.r.id));
  // uPlot wants one x column: every trial's x, the others' and the front's y by position.
  const all = trials.slice().sort((x, y) => x.a - y.a);
  const xs = all.map((t) => t.a);
  const others = all.map((t) => (onFront.has(t.r.id) ? null : t.b));
  const frontY = all.map((t) => (onFront.has(t.r.id) ? t.b : null));
  return sweepChart(
    `Pareto front: ${ma} (${da}) × ${mb} (${db})`,
    {
      scales: { x: { time: false } },
      axes: [xNumberAxis(), yAxis()],
      series: [
        { label: ma },
        {
          label: "dominated",
          stroke: "#999",
          paths: () => null,
          points: { show: true, size: 5, fill: "#999" },
        },
        {
          label: "Pareto front",
          stroke: "#d62728",
          width: 2,
          spanGaps: true,
          paths: uPlot.paths.stepped!({ align: da === db ? 1 : -1 }),
          points: { show: true, size: 7, fill: "#d62728" },
        },
      ],
    },
    [xs, others, frontY],
    width,
    { "data-front": front.length, "data-points": trials.length },
  );
}
