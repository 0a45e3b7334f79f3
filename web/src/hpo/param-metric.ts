/**
 * Parameter vs metric: one point per run. A parameter whose values are numbers (where present)
 * gets a numeric axis (log for log-searched ones); runs without the parameter are drawn apart,
 * in grey at the axis' left edge, and counted below the chart, never piled onto a category.
 */
import type { Run } from "../api.js";
import { yAxis } from "../charts/axis.js";
import { h } from "../element.js";
import { fmt } from "../format.js";
import { pathValue } from "../run-fields.js";
import { sweepChart } from "./sweep-chart.js";

export function paramVsMetric(
  scored: readonly { r: Run; y: number }[],
  param: string,
  metric: string,
  width: number,
): HTMLElement {
  const raw = scored.map((s) => pathValue(s.r, `config.${param}`));
  const present = raw.filter((v) => v !== undefined && v !== null);
  const numeric = present.length > 0 && present.every((v) => typeof v === "number");
  const cats = numeric ? [] : [...new Set(present.map((v) => fmt(v)))].sort();
  const xOf = (v: unknown) =>
    v === undefined || v === null ? null : numeric ? (v as number) : cats.indexOf(fmt(v));
  const xs = raw.map(xOf);
  const known = xs.filter((x): x is number => x !== null);
  const lo = Math.min(...known);
  const hi = Math.max(...known);
  // A parameter searched on a log scale (learning rates) is shown on one.
  const logX = numeric && lo > 0 && hi / lo > 100;
  // Missing values sit a little left of the smallest one.
  const missingAt = logX ? lo / (hi / lo) ** 0.08 : lo - Math.max(1, hi - lo) * 0.08;
  const missing = xs.filter((x) => x === null).length;
  const order = xs.map((_, i) => i).sort((a, b) => (xs[a] ?? missingAt) - (xs[b] ?? missingAt));
  const x = order.map((i) => xs[i] ?? missingAt);
  const chart = sweepChart(
    `${param || "(no varying parameter)"} vs ${metric}`,
    {
      scales: { x: logX ? { time: false, distr: 3 } : { time: false } },
      axes: [
        { values: numeric ? undefined : (_u, splits) => splits.map((v) => cats[v] ?? "") },
        yAxis(),
      ],
      series: [
        { label: param },
        {
          label: metric,
          stroke: "#1f77b4",
          paths: () => null,
          points: { show: true, size: 6, fill: "#1f77b4" },
        },
        {
          label: `no ${param}`,
          stroke: "#aaa",
          paths: () => null,
          points: { show: true, size: 6, fill: "#ccc" },
        },
      ],
    },
    [
      x,
      order.map((i) => (xs[i] === null ? null : scored[i]!.y)),
      order.map((i) => (xs[i] === null ? scored[i]!.y : null)),
    ],
    width,
    { "data-x": numeric ? "numeric" : "categorical", "data-missing": missing },
  );
  if (missing > 0) {
    chart.append(
      h(
        "p",
        { class: "muted" },
        `${missing} run${missing === 1 ? "" : "s"} without ${param}: grey, at the left`,
      ),
    );
  }
  return chart;
}
