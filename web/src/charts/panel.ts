/**
 * One chart panel: a metric with the selected runs overlaid (or one mean line and min–max
 * band per group), drawn by uPlot. Hover shows the values at the cursor, drag zooms the x
 * axis, double click resets; cursors are synced across panels.
 */
import uPlot from "uplot";
import type { SeriesData, XMode } from "../api.js";
import { h } from "../element.js";
import { fmt } from "../format.js";
import { markOnce } from "../perf.js";
import { align, type Column, ema, groupStats, interpolate, positiveOnly } from "./transform.js";

export interface PanelOptions {
  title: string;
  xMode: XMode;
  /** EMA weight in [0, 1). */
  smoothing: number;
  log: boolean;
  label: (runId: string) => string;
  color: (runId: string) => string;
  /** Group label -> run ids; when set, one mean line and min–max band per group. */
  groups?: Map<string, string[]> | null;
  /** Group label -> color. */
  groupColor?: (label: string) => string;
  height?: number;
  /** Called after the first draw that had data (for performance marks). */
  onDrawn?: () => void;
}

interface Built {
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  bands: uPlot.Band[];
  /** Series indexes that are lines a user reads (not band edges). */
  lines: number[];
}

const LEGEND_LIMIT = 12;

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

function build(data: readonly SeriesData[], o: PanelOptions): Built {
  const fix = (c: Column) => (o.log ? positiveOnly(c) : c);
  // The server speaks milliseconds for time and relative x; axes read better in seconds.
  // A bucket's left edge is not a step: when buckets are narrower than a step, the step in
  // the bucket is the edge rounded up (and wider buckets move by less than one step).
  const xs = data.map((s) =>
    o.xMode === "step" ? s.x.map((v) => Math.ceil(v - 1e-9)) : s.x.map((v) => v / 1000),
  );
  const grouped = o.groups !== null && o.groups !== undefined && o.groups.size > 0;
  // Bands need the min/max columns, which a request for many runs leaves out.
  const withBands =
    drawsBands(data.length, grouped, o.smoothing) &&
    data.every((s) => s.min.length === s.x.length && s.max.length === s.x.length);
  // Bucket min/max columns are only drawn as per-run bands; skip aligning them otherwise.
  const cols = [
    ...data.map((s, i) => ({ x: xs[i]!, y: s.last })),
    ...(withBands ? data.map((s, i) => ({ x: xs[i]!, y: s.min })) : []),
    ...(withBands ? data.map((s, i) => ({ x: xs[i]!, y: s.max })) : []),
  ];
  const { x, ys } = align(cols);
  const n = data.length;
  const last = ys.slice(0, n);
  const series: uPlot.Series[] = [{ label: o.xMode }];
  const out: Column[] = [];
  const bands: uPlot.Band[] = [];
  const lines: number[] = [];
  if (grouped && o.groups) {
    const byRun = new Map(data.map((s, i) => [s.run, i]));
    for (const [label, ids] of o.groups) {
      const members = ids.map((id) => byRun.get(id)).filter((i): i is number => i !== undefined);
      if (members.length === 0) continue;
      const smoothed = members.map((i) => ema(interpolate(x, last[i]!), o.smoothing));
      const st = groupStats(smoothed);
      const color = o.groupColor?.(label) ?? "#1f77b4";
      const base = out.length + 1;
      out.push(fix(st.mean), fix(st.min), fix(st.max));
      series.push(
        { label: `${label} (${members.length})`, stroke: color, width: 2, spanGaps: true },
        { label: `${label} min`, stroke: alpha(color, 0.3), width: 0, points: { show: false } },
        { label: `${label} max`, stroke: alpha(color, 0.3), width: 0, points: { show: false } },
      );
      bands.push({ series: [base + 2, base + 1], fill: alpha(color, 0.15) });
      lines.push(base);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const run = data[i]!.run;
      const color = o.color(run);
      out.push(fix(ema(last[i]!, o.smoothing)));
      // Past a few lines, 1 px: overlaid lines stay apart, and a whole-pixel width is much
      // cheaper to rasterize (a 100-run panel's canvas flush was ~40 ms of its load at 1.5 px).
      const width = n > LEGEND_LIMIT ? 1 : 1.5;
      series.push({ label: o.label(run), stroke: color, width, spanGaps: true });
      lines.push(out.length);
      if (withBands) {
        const base = out.length;
        out.push(fix(ys[n + i]!), fix(ys[2 * n + i]!));
        series.push(
          {
            label: "min",
            stroke: "transparent",
            width: 0,
            points: { show: false },
            spanGaps: true,
          },
          {
            label: "max",
            stroke: "transparent",
            width: 0,
            points: { show: false },
            spanGaps: true,
          },
        );
        bands.push({ series: [base + 2, base + 1], fill: alpha(color, 0.12) });
      }
    }
  }
  return { data: [x, ...out] as uPlot.AlignedData, series, bands, lines };
}

export interface Panel {
  el: HTMLElement;
  update(data: readonly SeriesData[], o: PanelOptions): void;
  destroy(): void;
}

/**
 * Creates a panel; `el` carries `data-key`, `data-series-count` (lines drawn: runs, or groups
 * when grouped) and `data-points` (x positions), which tests and scripts read.
 */
export function createPanel(data: readonly SeriesData[], o: PanelOptions): Panel {
  const tip = h("div", { class: "tip", hidden: true });
  const plotBox = h("div", { class: "plot" });
  const legend = h("div", { class: "legend" });
  const el = h(
    "section",
    { class: "panel", "data-key": o.title },
    h("h3", null, o.title),
    plotBox,
    legend,
    tip,
  );
  /** Names each line while there are few enough to read; hover covers the rest. */
  const drawLegend = (b: Built) => {
    // One line needs no legend: the panel's title names it.
    if (b.lines.length <= 1) return legend.replaceChildren();
    legend.replaceChildren(
      ...(b.lines.length > LEGEND_LIMIT
        ? [h("span", { class: "muted" }, `${b.lines.length} runs — hover for values`)]
        : b.lines.map((si) =>
            h(
              "span",
              null,
              h("span", { class: "sw", style: `background:${b.series[si]!.stroke as string}` }),
              String(b.series[si]!.label),
            ),
          )),
    );
  };
  let plot: uPlot | null = null;
  let built: Built | null = null;
  let zoomed = false;
  let drawnOnce = false;
  let opts = o;

  const tooltip = (u: uPlot) => {
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined || !built) {
      tip.hidden = true;
      return;
    }
    const rows = built.lines
      .map((si) => ({ si, v: u.data[si]![idx] }))
      .filter((r): r is { si: number; v: number } => r.v !== null && r.v !== undefined)
      .sort((a, b) => b.v - a.v)
      .slice(0, 12);
    if (rows.length === 0) {
      tip.hidden = true;
      return;
    }
    const xv = u.data[0][idx]!;
    const xs = opts.xMode === "time" ? new Date(xv * 1000).toISOString().slice(11, 19) : fmt(xv);
    tip.replaceChildren(
      h("div", { class: "tip-x" }, `${opts.xMode} ${xs}`),
      ...rows.map((r) =>
        h(
          "div",
          null,
          h("span", { class: "sw", style: `background:${built!.series[r.si]!.stroke as string}` }),
          `${u.series[r.si]!.label} `,
          h("b", null, fmt(r.v)),
        ),
      ),
    );
    tip.hidden = false;
    const left = u.cursor.left ?? 0;
    tip.style.left = `${left + (left > u.over.clientWidth / 2 ? -tip.offsetWidth - 12 : 60)}px`;
  };

  const make = (prebuilt?: Built) => {
    plot?.destroy();
    built = prebuilt ?? build(data, opts);
    el.dataset.seriesCount = String(built.lines.length);
    el.dataset.points = String(built.data[0].length);
    drawLegend(built);
    const width = Math.max(280, plotBox.clientWidth || el.clientWidth || 420);
    plot = new uPlot(
      {
        width,
        height: opts.height ?? 220,
        legend: { show: false },
        scales: {
          x: { time: opts.xMode === "time" },
          y: opts.log ? { distr: 3 } : {},
        },
        axes: [{ size: 30 }, { size: 56 }],
        series: built.series,
        bands: built.bands,
        cursor: {
          sync: { key: "amltk" },
          drag: { x: true, y: false },
          // A hover marker is a DOM node per series: with many runs, the tooltip says enough.
          points: { show: built.lines.length <= LEGEND_LIMIT },
        },
        hooks: {
          setCursor: [tooltip],
          setSelect: [(u) => (zoomed = u.select.width > 0 || zoomed)],
          // The visible x range, for tests and scripts (zoom changes it).
          setScale: [
            (u, key) => {
              if (key === "x") el.dataset.xRange = `${u.scales.x!.min}..${u.scales.x!.max}`;
            },
          ],
          draw: [
            () => {
              if (!drawnOnce && built && built.data[0].length > 0) {
                drawnOnce = true;
                markOnce("amltk:chart-built");
                opts.onDrawn?.();
              }
            },
          ],
        },
      },
      built.data,
      plotBox,
    );
    plot.over.addEventListener("dblclick", () => (zoomed = false));
    plot.over.addEventListener("mouseleave", () => (tip.hidden = true));
  };

  const ro = new ResizeObserver(() => {
    const w = plotBox.clientWidth;
    if (plot && w > 0 && Math.abs(w - plot.width) > 4)
      plot.setSize({ width: w, height: plot.height });
  });
  ro.observe(plotBox);
  // Build after insertion so the panel knows its width; callers append `el` synchronously.
  queueMicrotask(() => make());

  return {
    el,
    update(next, o2) {
      data = next;
      const nb = build(next, o2);
      const labels = (b: Built) => b.series.map((s) => s.label).join("\n");
      const same =
        plot !== null &&
        built !== null &&
        o2.xMode === opts.xMode &&
        o2.log === opts.log &&
        labels(nb) === labels(built);
      opts = o2;
      if (same && plot) {
        built = nb;
        el.dataset.seriesCount = String(nb.lines.length);
        el.dataset.points = String(nb.data[0].length);
        drawLegend(nb);
        plot.setData(nb.data, !zoomed);
      } else {
        make(nb);
      }
    },
    destroy() {
      ro.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
