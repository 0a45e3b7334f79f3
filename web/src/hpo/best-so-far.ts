/**
 * Best so far by trial number: every run of the sweep in creation order is a trial (failed,
 * crashed and pruned ones included, so the x axis is the trial number, not the index among
 * runs with a value); the metric of each trial in grey, the incumbent as a step line, and the
 * trials without a value marked on that line in red (failed/crashed) or orange (pruned).
 */
import uPlot from "uplot";
import type { Run } from "../api.js";
import { yAxis } from "../charts/axis.js";
import { pathValue } from "../run-fields.js";
import { runStatus } from "../run-status.js";
import { sweepChart } from "./sweep-chart.js";

export function bestSoFar(
  runs: readonly Run[],
  metric: string,
  dir: "min" | "max",
  width: number,
): HTMLElement {
  const sign = dir === "min" ? 1 : -1;
  const trials = runs.slice().sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  let best = Number.POSITIVE_INFINITY;
  const value: (number | null)[] = [];
  const bestCol: (number | null)[] = [];
  const failed: (number | null)[] = [];
  const pruned: (number | null)[] = [];
  let nFailed = 0;
  let nPruned = 0;
  for (const r of trials) {
    const v = pathValue(r, `summary.${metric}`);
    const y = typeof v === "number" && Number.isFinite(v) ? v : null;
    if (y !== null) best = Math.min(best, sign * y);
    const b = Number.isFinite(best) ? best * sign : null;
    value.push(y);
    bestCol.push(b);
    const status = runStatus(r);
    const without = y === null && status !== "running";
    const isPruned = without && status === "pruned";
    failed.push(without && !isPruned ? b : null);
    pruned.push(isPruned ? b : null);
    if (without) isPruned ? nPruned++ : nFailed++;
  }
  return sweepChart(
    `best ${metric} so far (${dir})`,
    {
      scales: { x: { time: false } },
      // Trials are counted: whole-number ticks only.
      axes: [{ incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }, yAxis()],
      series: [
        { label: "trial" },
        {
          label: metric,
          stroke: "#999",
          paths: () => null,
          points: { show: true, size: 4, fill: "#999" },
        },
        {
          label: "best",
          stroke: "#d62728",
          width: 2,
          spanGaps: true,
          paths: uPlot.paths.stepped!({ align: 1 }),
        },
        {
          label: "failed",
          stroke: "#d62728",
          paths: () => null,
          points: { show: true, size: 7, fill: "#fff" },
        },
        {
          label: "pruned",
          stroke: "#ff7f0e",
          paths: () => null,
          points: { show: true, size: 7, fill: "#fff" },
        },
      ],
    },
    [trials.map((_, i) => i + 1), value, bestCol, failed, pruned],
    width,
    { "data-trials": trials.length, "data-failed": nFailed, "data-pruned": nPruned },
  );
}
