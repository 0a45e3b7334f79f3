/**
 * HPO views over the runs of a sweep (the runs loaded in the table): parallel coordinates
 * (config -> metric), one parameter against the metric, and the best-so-far curve in the
 * order the runs were created. The metric is a summary key; lower is better unless `dir=max`.
 */
import type { Run } from "../api.js";
import { h } from "../element.js";
import { fmt } from "../format.js";
import type { ViewState } from "../pages/runs-controls.js";
import { flatEntries, pathValue } from "../run-fields.js";
import { bestSoFar } from "./best-so-far.js";
import { hpoExtras } from "./extras.js";
import { importance, importanceBars } from "./importance.js";
import { type Brush, brushHas, parallelCoordinates } from "./parallel.js";
import { paramVsMetric } from "./param-metric.js";

export interface HpoOptions {
  runs: readonly Run[];
  metric: string;
  dir: "min" | "max";
  param: string;
  /** Parallel-coordinate brushes by axis name (kept in the address as `brush`). */
  brushes: ReadonlyMap<string, Brush>;
  onChange(next: { metric?: string; dir?: "min" | "max"; param?: string }): void;
  onBrush(brushes: Map<string, Brush>): void;
  /** The page's view state, where the extra views keep their choices (extras.ts). */
  view?: ViewState;
}

/** Summary keys with a numeric value in some run: the metric candidates. */
export function metricKeys(runs: readonly Run[]): string[] {
  const keys = new Set<string>();
  for (const r of runs)
    for (const [k, v] of Object.entries(r.summary ?? {}))
      if (!k.startsWith("_") && typeof v === "number") keys.add(k);
  // The sweep's objective first: `cost` (what amltk's targets report), then the metrics the
  // W&B plugin logs as `metric/<name>`, then other names of one.
  const rank = (k: string) =>
    k === "cost"
      ? 0
      : k.startsWith("metric/")
        ? 1
        : k === "loss" || /\/(cost|loss)$/.test(k)
          ? 2
          : 3;
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

/** The metric the views use: the one asked for when runs have it, else the objective. */
export function pickMetric(runs: readonly Run[], asked: string): string {
  const metrics = metricKeys(runs);
  return metrics.includes(asked) ? asked : (metrics[0] ?? "");
}

/**
 * The runs inside every brush (a brush on the metric's axis reads the summary, the others the
 * config); all runs when there is no brush.
 */
export function brushedRuns(
  runs: readonly Run[],
  metric: string,
  brushes: ReadonlyMap<string, Brush>,
): Run[] {
  if (brushes.size === 0) return [...runs];
  return runs.filter((r) => {
    const y = pathValue(r, `summary.${metric}`);
    if (typeof y !== "number" || !Number.isFinite(y)) return false;
    return [...brushes].every(([name, b]) =>
      brushHas(b, name === metric ? y : pathValue(r, `config.${name}`)),
    );
  });
}

/** `brush` in the address: JSON `{"lr": {"range": [0.001, 0.01]}, "opt": {"cats": ["adam"]}}`. */
export function parseBrushes(text: string): Map<string, Brush> {
  if (!text) return new Map();
  try {
    const o = JSON.parse(text) as Record<string, Brush>;
    return new Map(
      Object.entries(o).filter(
        ([, b]) =>
          b &&
          ((Array.isArray((b as { range?: unknown }).range) &&
            (b as { range: unknown[] }).range.length === 2) ||
            Array.isArray((b as { cats?: unknown }).cats)),
      ),
    );
  } catch {
    return new Map();
  }
}

export function brushesParam(brushes: ReadonlyMap<string, Brush>): string | null {
  return brushes.size === 0 ? null : JSON.stringify(Object.fromEntries(brushes));
}

export function renderHpo(o: HpoOptions, width: number): HTMLElement {
  const metrics = metricKeys(o.runs);
  const params = paramKeys(o.runs);
  const metric = pickMetric(o.runs, o.metric);
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
    parallelCoordinates(axes, quality, width, { brushes: o.brushes, onBrush: o.onBrush }),
  );

  const scatter = paramVsMetric(scored, param, metric, width / 2 - 8);
  const incumbent = bestSoFar(o.runs, metric, o.dir, width / 2 - 8);
  const ranked = scored.slice().sort((a, b) => sign * (a.y - b.y));
  const bestRun = ranked[0];
  return h(
    "div",
    { class: "hpo", "data-runs": scored.length, "data-total": o.runs.length },
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
    hpoExtras({ runs: o.runs, scored, metrics, params, metric, dir: o.dir, width, view: o.view }),
  );
}
