/**
 * One chart panel: a metric with the selected runs overlaid (or one mean line and min–max
 * band per group), drawn by uPlot. Hover shows the values at the cursor, drag zooms the x
 * axis, double click resets; cursors are synced across panels.
 */
import uPlot from "uplot";
import { h } from "../element.js";
import { panelExportButtons } from "../export.js";
import { fmt } from "../format.js";
import { markOnce } from "../perf.js";
import { xNumberAxis, yAxis } from "./axis.js";
import { drawMarks, markText, markTotals, type NonFiniteMark } from "./non-finite.js";
import {
  buildPlotData,
  LEGEND_LIMIT,
  type PanelInput,
  type PanelOptions,
  type PlotData,
} from "./panel-data.js";
import { robustYRange } from "./robust-range.js";

export { drawsBands, type PanelOptions } from "./panel-data.js";

export interface Panel {
  el: HTMLElement;
  update(data: PanelInput, o: PanelOptions): void;
  /** Says why the panel is empty (shown while it has no points). */
  explain(reason: string): void;
  destroy(): void;
}

/**
 * Creates a panel; `el` carries `data-key`, `data-series-count` (lines drawn: runs, or groups
 * when grouped), `data-points` (x positions), and with NaN/±Infinity points `data-non-finite`
 * (their counts) and `data-marks` (marker shapes in the last draw), which tests and scripts read.
 */
export function createPanel(data: PanelInput, o: PanelOptions): Panel {
  return new ChartPanel(data, o);
}

class ChartPanel implements Panel {
  readonly el: HTMLElement;
  private readonly tip = h("div", { class: "tip", hidden: true });
  private readonly emptyNote = h("p", { class: "muted empty-note", hidden: true });
  private readonly plotBox = h("div", { class: "plot" });
  private readonly legend = h("div", { class: "legend" });
  /** Says what the NaN/±Infinity markers stand for, with their counts. */
  private readonly marksNote = h("p", { class: "muted marks-note", hidden: true });
  /** Marks by aligned x index, for the tooltip. */
  private marksAt = new Map<number, NonFiniteMark[]>();
  private readonly resizeObserver: ResizeObserver;
  private plot: uPlot | null = null;
  private built: PlotData | null = null;
  /** Whether the user zoomed: data updates then keep the x range. */
  private zoomed = false;
  private drawnOnce = false;

  constructor(
    private data: PanelInput,
    private opts: PanelOptions,
  ) {
    this.el = h(
      "section",
      { class: "panel", "data-key": opts.title },
      h(
        "h3",
        null,
        opts.title,
        panelExportButtons(opts.title, () => this.plot),
      ),
      this.emptyNote,
      this.plotBox,
      this.legend,
      this.marksNote,
      this.tip,
    );
    this.resizeObserver = new ResizeObserver(() => this.fitWidth());
    this.resizeObserver.observe(this.plotBox);
    // Build after insertion so the panel knows its width; callers append `el` synchronously.
    queueMicrotask(() => this.createPlot());
  }

  /**
   * Draws new data: in place while the lines, x mode and scale stay the same (keeping a zoom),
   * else a new plot.
   */
  update(next: PanelInput, o: PanelOptions): void {
    this.data = next;
    const nb = buildPlotData(next, o);
    const labels = (b: PlotData) => b.series.map((s) => s.label).join("\n");
    const same =
      this.plot !== null &&
      this.built !== null &&
      o.xMode === this.opts.xMode &&
      o.log === this.opts.log &&
      labels(nb) === labels(this.built);
    this.opts = o;
    if (same && this.plot) {
      this.show(nb);
      this.plot.setData(nb.data, !this.zoomed);
    } else {
      this.createPlot(nb);
    }
  }

  explain(reason: string): void {
    this.emptyNote.textContent = reason;
    this.emptyNote.hidden = this.built !== null && this.built.data[0].length > 0;
    this.el.dataset.empty = reason;
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  private createPlot(prebuilt?: PlotData): void {
    this.plot?.destroy();
    const built = prebuilt ?? buildPlotData(this.data, this.opts);
    this.show(built);
    const width = Math.max(280, this.plotBox.clientWidth || this.el.clientWidth || 420);
    const plot = new uPlot(this.plotOptions(built, width), built.data, this.plotBox);
    plot.over.addEventListener("dblclick", () => {
      this.zoomed = false;
      this.opts.onZoom?.(null);
    });
    plot.over.addEventListener("mouseleave", () => (this.tip.hidden = true));
    this.plot = plot;
  }

  /** Makes `built` the panel's data: the data attributes and the legend follow it. */
  private show(built: PlotData): void {
    this.built = built;
    this.el.dataset.seriesCount = String(built.lines.length);
    this.el.dataset.points = String(built.data[0].length);
    if (built.data[0].length > 0) {
      this.emptyNote.hidden = true;
      delete this.el.dataset.empty;
    }
    this.drawLegend(built);
    this.showMarks(built);
  }

  /** The markers' counts in the data attributes and the note; the tooltip's lookup. */
  private showMarks(built: PlotData): void {
    this.marksAt = new Map();
    for (const m of built.marks) {
      const at = this.marksAt.get(m.xi);
      if (at) at.push(m);
      else this.marksAt.set(m.xi, [m]);
    }
    if (built.marks.length === 0) {
      this.marksNote.hidden = true;
      delete this.el.dataset.nonFinite;
      return;
    }
    const t = markTotals(built.marks);
    this.el.dataset.nonFinite = `nan:${t.nan},posInf:${t.posInf},negInf:${t.negInf}`;
    this.marksNote.textContent = `Not on the lines, marked instead: ${markText(t)} (◆ NaN, ▲ +Inf at the top, ▼ −Inf at the bottom).`;
    this.marksNote.hidden = false;
  }

  private plotOptions(built: PlotData, width: number): uPlot.Options {
    const opts = this.opts;
    return {
      width,
      height: opts.height ?? 220,
      legend: { show: false },
      ...(opts.xMode === "time"
        ? { tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC") }
        : {}),
      scales: {
        x: { time: opts.xMode === "time" },
        y: opts.log ? { distr: 3 } : opts.robustY ? { range: robustYRange } : {},
      },
      axes: [
        // One time zone everywhere (the table's times are UTC too), and said so.
        opts.xMode === "time" ? { size: 30, label: "time (UTC)", labelSize: 16 } : xNumberAxis(),
        yAxis((labels, size) => {
          this.el.dataset.yLabels = labels.join("|");
          this.el.dataset.yGutter = String(size);
        }),
      ],
      series: built.series,
      bands: built.bands,
      cursor: {
        sync: { key: "amltk" },
        drag: { x: true, y: false },
        // A hover marker is a DOM node per series: with many runs, the tooltip says enough.
        points: { show: built.lines.length <= LEGEND_LIMIT },
      },
      hooks: {
        setCursor: [(u) => this.showTooltip(u)],
        setSelect: [(u) => this.selected(u)],
        // The visible x range, for tests and scripts (zoom changes it).
        setScale: [
          (u, key) => {
            if (key === "x") this.el.dataset.xRange = `${u.scales.x!.min}..${u.scales.x!.max}`;
          },
        ],
        draw: [
          (u) => {
            const drawn = drawMarks(u, this.built?.marks ?? []);
            if (drawn > 0 || this.el.dataset.marks !== undefined)
              this.el.dataset.marks = String(drawn);
            this.markFirstDraw();
          },
        ],
      },
    };
  }

  /**
   * A drag selected an x range: uPlot zooms to it, and the page refetches that range at full
   * resolution (buckets over the range, not over the whole run) and keeps it in the address.
   */
  private selected(u: uPlot): void {
    if (!(u.select.width > 0)) return;
    this.zoomed = true;
    const lo = u.posToVal(u.select.left, "x");
    const hi = u.posToVal(u.select.left + u.select.width, "x");
    if (hi > lo) this.opts.onZoom?.([lo, hi]);
  }

  /** The first draw with data marks the performance timeline and tells the caller. */
  private markFirstDraw(): void {
    if (!this.drawnOnce && this.built && this.built.data[0].length > 0) {
      this.drawnOnce = true;
      markOnce("amltk:chart-built");
      this.opts.onDrawn?.();
    }
  }

  private fitWidth(): void {
    const w = this.plotBox.clientWidth;
    if (this.plot && w > 0 && Math.abs(w - this.plot.width) > 4)
      this.plot.setSize({ width: w, height: this.plot.height });
  }

  /** Names each line while there are few enough to read; hover covers the rest. */
  private drawLegend(b: PlotData): void {
    // One line needs no legend: the panel's title names it.
    if (b.lines.length <= 1) {
      this.legend.replaceChildren();
      return;
    }
    this.legend.replaceChildren(
      ...(b.lines.length > LEGEND_LIMIT
        ? [h("span", { class: "muted" }, `${b.lines.length} runs — hover for values`)]
        : b.lines.map((si, j) =>
            h(
              "span",
              {
                role: "button",
                tabindex: 0,
                title: "show or hide",
                "data-series": si,
                onclick: (e: Event) =>
                  this.toggle(e.currentTarget as HTMLElement, si, b.lines[j + 1]),
              },
              h("span", { class: "sw", style: `background:${b.series[si]!.stroke as string}` }),
              String(b.series[si]!.label),
            ),
          )),
    );
  }

  /** Shows or hides a line and its band (the series from `si` up to the next line). */
  private toggle(item: HTMLElement, si: number, next: number | undefined): void {
    const plot = this.plot;
    if (!plot) return;
    const show = !(plot.series[si]!.show ?? true);
    const end = next ?? plot.series.length;
    for (let i = si; i < end; i++) plot.setSeries(i, { show });
    item.classList.toggle("off", !show);
  }

  /** The values of the (at most 12 highest) lines at the cursor, beside it. */
  private showTooltip(u: uPlot): void {
    const tip = this.tip;
    const built = this.built;
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined || !built) {
      tip.hidden = true;
      return;
    }
    const odd = new Map((this.marksAt.get(idx) ?? []).map((m) => [m.series, markText(m)]));
    const rows = built.lines
      .map((si) => ({ si, v: u.data[si]![idx] ?? null, odd: odd.get(si) }))
      .filter((r) => r.v !== null || r.odd !== undefined)
      .sort((a, b) => (b.v ?? Number.NEGATIVE_INFINITY) - (a.v ?? Number.NEGATIVE_INFINITY))
      .slice(0, 12);
    if (rows.length === 0) {
      tip.hidden = true;
      return;
    }
    const xv = u.data[0][idx]!;
    const xMode = this.opts.xMode;
    const xs =
      xMode === "time" ? `${new Date(xv * 1000).toISOString().slice(11, 19)} UTC` : fmt(xv);
    tip.replaceChildren(
      h("div", { class: "tip-x" }, `${xMode} ${xs}`),
      ...rows.map((r) =>
        h(
          "div",
          null,
          h("span", { class: "sw", style: `background:${built.series[r.si]!.stroke as string}` }),
          `${u.series[r.si]!.label} `,
          r.v === null ? null : h("b", null, fmt(r.v)),
          r.odd === undefined ? null : h("span", { class: "tip-odd" }, ` ${r.odd}`),
        ),
      ),
    );
    tip.hidden = false;
    const left = u.cursor.left ?? 0;
    tip.style.left = `${left + (left > u.over.clientWidth / 2 ? -tip.offsetWidth - 12 : 60)}px`;
  }
}
