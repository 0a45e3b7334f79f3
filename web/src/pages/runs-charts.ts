/**
 * Below the runs table: the chart grid of the selected runs (or of every run of each group),
 * or the sweep views. Reads the view state (x, smoothing, log, band, zoom, keys, grouping) and
 * the page's runs and selection through `RunsContext`.
 */
import { type Run, series, type XMode } from "../api.js";
import { ChartGrid, type Grouping, type Prefetched, seriesShape } from "../charts/grid.js";
import type { GroupBand } from "../charts/panel-data.js";
import { h } from "../element.js";
import { brushesParam, parseBrushes, renderHpo } from "../hpo/view.js";
import { markPainted, nextPaint } from "../perf.js";
import { chartTools } from "./chart-tools.js";
import type { HashView } from "./hash-view.js";
import { chartControls } from "./runs-controls.js";

/** Runs charted when the user has not picked any: the first rows of the table, like W&B. */
export const DEFAULT_TOP = 10;
/** A chart request names at most this many runs (the server's limit is 1,000). */
export const MAX_CHARTED = 500;

/** What the charts read of the runs page. */
export interface RunsContext {
  runs(): readonly Run[];
  selectedRuns(): Run[];
  selected(): ReadonlySet<string>;
  /** Whether the user picked the charted runs. */
  explicit(): boolean;
  /** The table's runs query string with this limit. */
  runsQuery(limit: number): string;
  fullLimit(): number;
  color(): (id: string) => string;
  width(): number;
  redrawTable(): void;
}

export class RunsCharts {
  private readonly grid = new ChartGrid({
    runs: [],
    keys: [],
    xMode: "step",
    smoothing: 0,
    log: false,
    grouping: null,
    onFirstDraw: () => markPainted("amltk:chart"),
  });

  private readonly error = h("p", { class: "error", role: "status" });

  constructor(
    private readonly view: HashView,
    private readonly content: HTMLElement,
    private readonly page: RunsContext,
  ) {}

  clear(): void {
    this.grid.clear();
  }

  /** Below the table: the sweep views, or the chart grid. */
  async draw(prefetched?: Prefetched): Promise<void> {
    if (this.view.get("view") === "hpo") this.drawSweep();
    else await this.drawCharts(prefetched);
  }

  private groupBy(): string {
    return this.view.get("by");
  }

  /**
   * Grouped charts cover every run of each group: the runs the table's query names (all of
   * them, not only the loaded page), or the runs the user picked.
   */
  private grouping(): Grouping | null {
    const by = this.groupBy();
    if (!by) return null;
    const band = (this.view.get("band") || "minmax") as GroupBand;
    return this.page.explicit()
      ? { by, runs: [...this.page.selected()], band }
      : { by, runsQuery: this.page.runsQuery(this.page.fullLimit()), band };
  }

  /** The zoomed x range of this x mode (`zoom=step:0,3000`), or null. */
  private zoom(): [number, number] | null {
    const m = /^(\w+):(-?[\d.e+-]+),(-?[\d.e+-]+)$/.exec(this.view.get("zoom"));
    if (!m || m[1] !== this.xMode()) return null;
    const lo = Number(m[2]);
    const hi = Number(m[3]);
    return Number.isFinite(lo) && Number.isFinite(hi) && hi > lo ? [lo, hi] : null;
  }

  /**
   * The charts' x: wall time is not a shared axis for a group (its runs ran at different
   * times, so their mean jumps from run to run), so grouped charts use time since each start.
   */
  private xMode(): XMode {
    const x = (this.view.get("x", "step") as XMode) || "step";
    return x === "time" && this.groupBy() ? "relative" : x;
  }

  /**
   * The default charts (the first `top` runs, keys named in the view) asked for by query, at
   * the same time as the runs: the chart does not wait for the runs list to arrive first.
   */
  prefetch(): Prefetched | undefined {
    const get = this.view.get;
    const keys = this.view.list("keys");
    if (get("view") === "hpo" || this.page.explicit() || this.zoom() || !keys.length) {
      return undefined;
    }
    const grouping = this.grouping();
    if (grouping) {
      // Grouped charts name their runs by query: ask now, while the runs list loads. The grid
      // takes those responses itself (nothing per key here); an empty map still tells the page
      // that the charts' data is on its way, so they paint before the table is built (a table
      // built first held the arrived aggregate back by its whole build, ~200 ms under load).
      this.grid.prefetchGroups(keys, grouping, this.xMode(), get("xkey") || undefined);
      return new Map();
    }
    const top = Number(get("top", String(DEFAULT_TOP)));
    const n = Math.min(top, MAX_CHARTED, this.page.fullLimit());
    if (!(n > 0)) return undefined;
    const shape = seriesShape(n, { grouped: false, smoothing: Number(get("smooth", "0")) });
    const runsQuery = this.page.runsQuery(n);
    const x = this.xMode();
    return new Map(
      keys.map((key) => {
        const data = series({ runsQuery, keys: [key], x, ...shape });
        data.catch(() => {}); // a failed prefetch falls back to a normal request
        return [key, { shape, data }];
      }),
    );
  }

  /**
   * Draws the zoomed range, measured for bench/ui.ts: `amltk:zoom-refetch` spans the user's
   * zoom to the refetched data painted.
   */
  private async refetchZoomed(): Promise<void> {
    performance.clearMarks("amltk:zoom");
    performance.clearMeasures("amltk:zoom-refetch");
    performance.mark("amltk:zoom");
    await this.draw();
    await nextPaint();
    performance.measure("amltk:zoom-refetch", "amltk:zoom");
  }

  private drawSweep(): void {
    const { get, set } = this.view;
    this.grid.clear();
    this.content.replaceChildren(
      renderHpo(
        {
          runs: this.page.runs(),
          metric: get("metric"),
          dir: get("dir") === "max" ? "max" : "min",
          param: get("param"),
          brushes: parseBrushes(get("brush")),
          view: this.view,
          onChange: (next) => {
            for (const [k, v] of Object.entries(next)) set(k, v ?? null);
            void this.draw();
          },
          // Brushes narrow the table (not the sweep, which keeps showing every run greyed).
          onBrush: (b) => {
            set("brush", brushesParam(b));
            this.page.redrawTable();
          },
        },
        Math.max(280, this.page.width() - 24),
      ),
    );
  }

  private async drawCharts(prefetched?: Prefetched): Promise<void> {
    const { get } = this.view;
    if (!this.grid.el.isConnected) {
      const controls = chartControls(this.view, {
        rerender: () => {
          this.grid.clear();
          void this.draw();
        },
        redraw: () => void this.draw(),
      });
      const tools = chartTools(this.view, this.grid.el, {
        runs: () => this.page.runs(),
        rerender: () => {
          this.grid.clear();
          void this.draw();
        },
      });
      this.content.replaceChildren(controls, tools, this.error, this.grid.el);
    }
    // Said, since the x select still reads "time".
    this.error.className = "muted";
    this.error.textContent =
      this.xMode() !== ((get("x", "step") as XMode) || "step")
        ? "Grouped: x is the time since each run's start (wall time would jump from run to run)."
        : "";
    await this.grid
      .load({
        runs: this.page.selectedRuns(),
        keys: this.view.list("keys"),
        xMode: this.xMode(),
        smoothing: Number(get("smooth", "0")),
        log: get("log") === "1",
        robustY: get("yclip") === "1",
        xKey: get("xkey") || undefined,
        grouping: this.grouping(),
        zoom: this.zoom(),
        onZoom: (r) => {
          const z = r ? `${this.xMode()}:${+r[0].toPrecision(8)},${+r[1].toPrecision(8)}` : null;
          this.view.set("zoom", z);
          void this.refetchZoomed();
        },
        color: this.page.color(),
        prefetched,
        emptyText:
          this.page.runs().length === 0 ? "No runs match this filter or search." : undefined,
      })
      .catch((e: unknown) => {
        // Shown above the charts (a refused filter is also shown by the filter box).
        this.error.className = "error";
        this.error.textContent = `Charts: ${(e as Error).message}`;
      });
  }
}
