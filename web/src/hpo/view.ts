/**
 * HPO views over the runs of a sweep (the runs loaded in the table): parallel coordinates
 * (config -> metric), one parameter against the metric, and the best-so-far curve in the
 * order the runs were created. The metric is a summary key; lower is better unless `dir=max`.
 */
import uPlot from "uplot";
import type { Run } from "../api.js";
import { h } from "../element.js";
import { fmt } from "../format.js";
import { flatEntries, pathValue } from "../run-fields.js";
import { importance, importanceBars } from "./importance.js";
import { parallelCoordinates } from "./parallel.js";

export interface HpoOptions {
  runs: readonly Run[];
  metric: string;
  dir: "min" | "max";
  param: string;
  onChange(next: { metric?: string; dir?: "min" | "max"; param?: string }): void;
}

/** Summary keys with a numeric value in some run: the metric candidates. */
export function metricKeys(runs: readonly Run[]): string[] {
  const keys = new Set<string>();
  for (const r of runs)
    for (const [k, v] of Object.entries(r.summary ?? {}))
      if (!k.startsWith("_") && typeof v === "number") keys.add(k);
  // The objective first: `cost`, then a namespaced one (the W&B plugin's `metric/cost`).
  const rank = (k: string) => (k === "cost" ? 0 : k.endsWith("/cost") ? 1 : 2);
  return [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Config keys whose values vary across runs (constants say nothing about the metric). */
export function paramKeys(runs: readonly Run[]): string[] {
  const seen = new Map<string, Set<string>>();
  for (const r of runs)
    for (const [k, v] of flatEntries(r.config ?? {})) {
      if (v !== null && typeof v === "object") continue;
      const s = seen.get(k) ?? new Set<string>();
      seen.set(k, s);
      if (s.size < 2) s.add(String(v));
    }
  return [...seen]
    .filter(([, s]) => s.size > 1)
    .map(([k]) => k)
    .sort();
}

function select(label: string, value: string, options: string[], on: (v: string) => void) {
  return h(
    "label",
    null,
    `${label} `,
    h(
      "select",
      { name: label, onchange: (e: Event) => on((e.target as HTMLSelectElement).value) },
      ...options.map((o) => h("option", { value: o, selected: o === value }, o)),
    ),
  );
}

function chart(
  title: string,
  opts: Omit<uPlot.Options, "width" | "height">,
  data: uPlot.AlignedData,
  width: number,
) {
  const box = h("section", { class: "panel", "data-key": title }, h("h3", null, title));
  queueMicrotask(
    () => new uPlot({ ...opts, width, height: 260, legend: { show: false } }, data, box),
  );
  return box;
}

export function renderHpo(o: HpoOptions, width: number): HTMLElement {
  const metrics = metricKeys(o.runs);
  const params = paramKeys(o.runs);
  const metric = metrics.includes(o.metric) ? o.metric : (metrics[0] ?? "");
  const param = params.includes(o.param) ? o.param : (params[0] ?? "");
  const controls = h(
    "div",
    { class: "controls" },
    select("metric", metric, metrics, (v) => o.onChange({ metric: v })),
    select("direction", o.dir, ["min", "max"], (v) => o.onChange({ dir: v as "min" | "max" })),
    select("parameter", param, params, (v) => o.onChange({ param: v })),
  );
  const scored = o.runs
    .map((r) => ({ r, y: pathValue(r, `summary.${metric}`) }))
    .filter((s): s is { r: Run; y: number } => typeof s.y === "number" && Number.isFinite(s.y));
  if (!metric || scored.length === 0)
    return h(
      "div",
      { class: "hpo" },
      controls,
      h("p", { class: "muted" }, "No run has a numeric summary value to compare yet."),
    );

  const sign = o.dir === "min" ? 1 : -1;
  const ys = scored.map((s) => s.y);
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const quality = ys.map((y) =>
    hi === lo ? 0 : o.dir === "min" ? (y - lo) / (hi - lo) : (hi - y) / (hi - lo),
  );
  const axes = [
    ...params.map((p) => ({ name: p, values: scored.map((s) => pathValue(s.r, `config.${p}`)) })),
    { name: metric, values: ys },
  ];
  const par = h(
    "section",
    { class: "panel wide" },
    h("h3", null, "parallel coordinates"),
    parallelCoordinates(axes, quality, width),
  );

  // Parameter vs metric: categorical values are placed at their index and labelled.
  const raw = scored.map((s) => pathValue(s.r, `config.${param}`));
  const numeric = raw.every((v) => typeof v === "number");
  const cats = numeric ? [] : [...new Set(raw.map((v) => fmt(v)))].sort();
  const px = raw.map((v) => (numeric ? (v as number) : cats.indexOf(fmt(v))));
  const order = px.map((_, i) => i).sort((a, b) => px[a]! - px[b]!);
  // A parameter searched on a log scale (learning rates) is shown on one.
  const pmin = Math.min(...px);
  const logX = numeric && pmin > 0 && Math.max(...px) / pmin > 100;
  const scatter = chart(
    `${param || "(no varying parameter)"} vs ${metric}`,
    {
      scales: { x: logX ? { time: false, distr: 3 } : { time: false } },
      axes: [
        { values: numeric ? undefined : (_u, splits) => splits.map((v) => cats[v] ?? "") },
        { size: 56 },
      ],
      series: [
        { label: param },
        {
          label: metric,
          stroke: "#1f77b4",
          paths: () => null,
          points: { show: true, size: 6, fill: "#1f77b4" },
        },
      ],
    },
    [order.map((i) => px[i]!), order.map((i) => ys[i]!)],
    width / 2 - 8,
  );

  // Best so far, in creation order: what a sweep has found after n trials.
  const byTime = scored.slice().sort((a, b) => a.r.createdAt - b.r.createdAt);
  let best = Number.POSITIVE_INFINITY;
  const bestCol = byTime.map((s) => {
    best = Math.min(best, sign * s.y);
    return best * sign;
  });
  const incumbent = chart(
    `best ${metric} so far (${o.dir})`,
    {
      scales: { x: { time: false } },
      // Trials are counted: whole-number ticks only.
      axes: [{ incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }, { size: 56 }],
      series: [
        { label: "trial" },
        {
          label: metric,
          stroke: "#999",
          paths: () => null,
          points: { show: true, size: 4, fill: "#999" },
        },
        { label: "best", stroke: "#d62728", width: 2, paths: uPlot.paths.stepped!({ align: 1 }) },
      ],
    },
    [byTime.map((_, i) => i + 1), byTime.map((s) => s.y), bestCol],
    width / 2 - 8,
  );
  const bestRun = byTime.find((s) => s.y === bestCol[bestCol.length - 1]);
  return h(
    "div",
    { class: "hpo", "data-runs": scored.length },
    controls,
    bestRun
      ? h("p", null, `best ${metric}: `, h("b", null, fmt(bestRun.y)), ` (${bestRun.r.name})`)
      : null,
    par,
    h("div", { class: "row" }, scatter, incumbent),
    h(
      "section",
      { class: "panel" },
      h("h3", null, `parameter importance for ${metric} (|rank correlation|, η for categories)`),
      importanceBars(
        importance(
          new Map(params.map((p) => [p, scored.map((s) => pathValue(s.r, `config.${p}`))])),
          ys,
        ),
      ),
    ),
  );
}
