/**
 * What a chart panel hands uPlot: the aligned columns, the series (one line per run, or a mean
 * line and min–max band per group) and the bands, built from the server's bucketed series.
 */
import type uPlot from "uplot";
import type { GroupSeriesResult, SeriesData, XMode } from "../api.js";
import { markColumn, marksOf, type NonFiniteMark } from "./non-finite.js";
import { align, type Column, ema, positiveOnly } from "./transform.js";

/** What a panel draws: runs' series, or the server's group aggregates. */
export type PanelInput = { runs: readonly SeriesData[] } | { groups: GroupSeriesResult };

/** The band drawn around a group's mean. */
export type GroupBand = "minmax" | "std" | "pct" | "none";

/** How a panel draws: see {@link createPanel}. */
export interface PanelOptions {
  title: string;
  xMode: XMode;
  /** A logged metric on x (grouped panels: its values are drawn as they are, not as steps). */
  xMetric?: string;
  /** EMA weight in [0, 1). */
  smoothing: number;
  log: boolean;
  /** A y range that ignores outliers (robust-range.ts). */
  robustY?: boolean;
  label: (runId: string) => string;
  color: (runId: string) => string;
  /** The band around each group's mean (grouped panels); default min–max. */
  band?: GroupBand;
  /** Group label -> color. */
  groupColor?: (label: string) => string;
  height?: number;
  /** Called after the first draw that had data (for performance marks). */
  onDrawn?: () => void;
  /** The user dragged out an x range (panel units), or reset it (null) by double click. */
  onZoom?: (range: [number, number] | null) => void;
}

/** uPlot's data, series and bands for one panel. */
export interface PlotData {
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  bands: uPlot.Band[];
  /** Series indexes that are lines a user reads (not band edges). */
  lines: number[];
  /** NaN/±Infinity markers per line and bucket (non-finite.ts); empty for most panels. */
  marks: NonFiniteMark[];
}

/** Past this many lines a panel shows no legend and no hover markers, and draws 1 px lines. */
export const LEGEND_LIMIT = 12;

/** Up to this many runs, each run also gets its own faint min–max band, so spikes survive. */
const RUN_BAND_LIMIT = 10;

/** Whether a panel of `runs` runs draws per-run min–max bands (and so needs min/max data). */
export function drawsBands(runs: number, grouped: boolean, smoothing: number): boolean {
  return !grouped && runs <= RUN_BAND_LIMIT && smoothing === 0;
}

function alpha(color: string, a: number): string {
  const n = Number.parseInt(color.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

/** The columns and series being built: x first, then one column per uPlot series. */
interface Draft {
  x: number[];
  /** Each run's last-value column, aligned to `x`; then its min and max columns with bands. */
  ys: Column[];
  series: uPlot.Series[];
  out: Column[];
  bands: uPlot.Band[];
  lines: number[];
  fix: (c: Column) => Column;
}

/** Builds a panel's uPlot data from the server's series (or group aggregates) for it. */
export function buildPlotData(input: PanelInput, o: PanelOptions): PlotData {
  if ("groups" in input) return buildGroupPlotData(input.groups, o);
  const data = input.runs;
  // Bands need the min/max columns, which a request for many runs leaves out.
  const withBands =
    drawsBands(data.length, false, o.smoothing) &&
    data.every((s) => s.min.length === s.x.length && s.max.length === s.x.length);
  const toX = (xs: readonly number[]) => panelX(o.xMode, xs);
  // Buckets of only non-finite values need an x of their own (their line has a gap there).
  const markCols = data.flatMap((s) => markColumn(s.nonFinite, toX) ?? []);
  const { x, ys } = align([...alignedColumns(data, o.xMode, withBands), ...markCols]);
  const draft: Draft = {
    x,
    ys,
    series: [{ label: o.xMode }],
    out: [],
    bands: [],
    lines: [],
    fix: (c) => (o.log ? positiveOnly(c) : c),
  };
  addRunSeries(draft, data, o, withBands);
  const { series, out, bands, lines } = draft;
  const index = markCols.length > 0 ? new Map(x.map((v, i) => [v, i])) : new Map();
  const marks = data.flatMap((s, i) => marksOf(lines[i]!, s.nonFinite, toX, index));
  return { data: [x, ...out] as uPlot.AlignedData, series, bands, lines, marks };
}

/** A bucket edge as the panel's x: steps rounded up to a whole step, times in seconds. */
export function panelX(xMode: XMode, xs: readonly number[]): number[] {
  return xMode === "step" ? xs.map((v) => Math.ceil(v - 1e-9)) : xs.map((v) => v / 1000);
}

/** The band's low and high edge of a group series. */
function bandEdges(s: GroupSeriesResult["series"][number], band: GroupBand): [number[], number[]] {
  if (band === "std") {
    return [s.mean.map((m, i) => m - s.std[i]!), s.mean.map((m, i) => m + s.std[i]!)];
  }
  return band === "pct" ? [s.lo, s.hi] : [s.min, s.max];
}

/**
 * One mean line per group and its band (min–max, ±1 std or the percentile band), from the
 * server's aggregates over every run of the group; the legend counts the whole group.
 */
function buildGroupPlotData(g: GroupSeriesResult, o: PanelOptions): PlotData {
  const band = o.band ?? "minmax";
  // A metric's bucket edges are its values: rounding them up to whole steps would merge them.
  const toX = (xs: readonly number[]) => (o.xMetric ? [...xs] : panelX(o.xMode, xs));
  const cols = g.series.flatMap((s) => {
    const x = toX(s.x);
    const [lo, hi] = bandEdges(s, band);
    return [
      { x, y: s.mean },
      { x, y: lo },
      { x, y: hi },
    ];
  });
  const markCols = g.series.flatMap((s) => markColumn(s.nonFinite, toX) ?? []);
  const { x, ys } = align([...cols, ...markCols]);
  const fix = (c: Column) => (o.log ? positiveOnly(c) : c);
  const runsOf = new Map(g.groups.map((gr) => [gr.label, gr.runs]));
  const series: uPlot.Series[] = [{ label: o.xMetric ?? o.xMode }];
  const out: Column[] = [];
  const bands: uPlot.Band[] = [];
  const lines: number[] = [];
  g.series.forEach((s, i) => {
    const color = o.groupColor?.(s.group) ?? "#1f77b4";
    const base = out.length + 1;
    out.push(fix(ema(ys[3 * i]!, o.smoothing)));
    series.push({
      label: `${s.group} (${runsOf.get(s.group) ?? 0})`,
      stroke: color,
      width: 2,
      spanGaps: true,
    });
    lines.push(base);
    if (band === "none") return;
    out.push(fix(ema(ys[3 * i + 1]!, o.smoothing)), fix(ema(ys[3 * i + 2]!, o.smoothing)));
    series.push(bandEdge(`${s.group} low`), bandEdge(`${s.group} high`));
    bands.push({ series: [base + 2, base + 1], fill: alpha(color, 0.15) });
  });
  // Each group's NaN/±Infinity counts (all its runs together), marked on its mean line.
  const index = markCols.length > 0 ? new Map(x.map((v, i) => [v, i])) : new Map();
  const marks = g.series.flatMap((s, i) => marksOf(lines[i]!, s.nonFinite, toX, index));
  return { data: [x, ...out] as uPlot.AlignedData, series, bands, lines, marks };
}

/** Each run's (x, last) column, and with bands its (x, min) and (x, max) columns after them. */
function alignedColumns(data: readonly SeriesData[], xMode: XMode, withBands: boolean) {
  // The server speaks milliseconds for time and relative x; axes read better in seconds.
  // A bucket's left edge is not a step: when buckets are narrower than a step, the step in
  // the bucket is the edge rounded up (and wider buckets move by less than one step).
  const xs = data.map((s) => panelX(xMode, s.x));
  // Bucket min/max columns are only drawn as per-run bands; skip aligning them otherwise.
  return [
    ...data.map((s, i) => ({ x: xs[i]!, y: s.last })),
    ...(withBands ? data.map((s, i) => ({ x: xs[i]!, y: s.min })) : []),
    ...(withBands ? data.map((s, i) => ({ x: xs[i]!, y: s.max })) : []),
  ];
}

/** One smoothed line per run, each with its own faint min–max band when `withBands`. */
function addRunSeries(
  d: Draft,
  data: readonly SeriesData[],
  o: PanelOptions,
  withBands: boolean,
): void {
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const run = data[i]!.run;
    const color = o.color(run);
    d.out.push(d.fix(ema(d.ys[i]!, o.smoothing)));
    // Past a few lines, 1 px: overlaid lines stay apart, and a whole-pixel width is much
    // cheaper to rasterize (a 100-run panel's canvas flush was ~40 ms of its load at 1.5 px).
    const width = n > LEGEND_LIMIT ? 1 : 1.5;
    d.series.push({ label: o.label(run), stroke: color, width, spanGaps: true });
    d.lines.push(d.out.length);
    if (withBands) {
      const base = d.out.length;
      d.out.push(d.fix(d.ys[n + i]!), d.fix(d.ys[2 * n + i]!));
      d.series.push(bandEdge("min"), bandEdge("max"));
      d.bands.push({ series: [base + 2, base + 1], fill: alpha(color, 0.12) });
    }
  }
}

/** An invisible series that only bounds a band. */
function bandEdge(label: string): uPlot.Series {
  return { label, stroke: "transparent", width: 0, points: { show: false }, spanGaps: true };
}
