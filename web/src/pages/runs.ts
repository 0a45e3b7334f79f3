/**
 * A project's runs: toolbar (search, filter, state, group by, columns), the runs table, and
 * below it either the chart grid of the selected runs or the sweep (HPO) views. All view
 * state lives in the hash query, so a reload or a shared link shows the same view.
 */
import {
  ApiError,
  listRuns,
  type Run,
  type RunFilter,
  type RunQuery,
  runsQueryString,
} from "../api.js";
import type { Prefetched } from "../charts/grid.js";
import { colorFor, PALETTE } from "../colors.js";
import { h } from "../element.js";
import { FilterSyntaxError, parseFilter } from "../filter.js";
import { brushedRuns, parseBrushes, pickMetric } from "../hpo/view.js";
import { subscribe, throttle } from "../live.js";
import { markOnce, markPainted, nextPaint } from "../perf.js";
import { availableColumns, defaultColumns, groupRuns, renderTable } from "../runs-table.js";
import { HashView } from "./hash-view.js";
import { runsActions } from "./runs-actions.js";
import { DEFAULT_TOP, MAX_CHARTED, RunsCharts } from "./runs-charts.js";
import { toolbar } from "./runs-controls.js";

/** The server's cap on one runs request. */
const MAX_LIMIT = 10_000;
/** Runs in the first request; the rest follow (see `loadAndDraw`). */
const FIRST_PAGE = 100;
const LIVE_INTERVAL_MS = 1000;

/**
 * Renders a project's runs page into `root` and keeps it live; resolves once the first view
 * is drawn, with the function that ends its live updates.
 */
export async function runsPage(
  root: HTMLElement,
  project: string,
  params: URLSearchParams,
): Promise<() => void> {
  const page = new RunsPage(root, project, params);
  await page.open();
  return page.watchLive();
}

/** One runs page: its runs as loaded, the selection, and the parts it draws. */
class RunsPage {
  private readonly view: HashView;
  private runs: Run[] = [];
  private total = 0;
  private filter: RunFilter[] = [];
  /** The runs query the server refused last (live updates do not send it again). */
  private refused: string | null = null;
  /** Whether the user picked the charted runs (else the first `top` rows are charted). */
  private explicit: boolean;
  private selected: Set<string>;
  private readonly count = h("span", { class: "muted", id: "run-count" });
  private readonly more = h("button", {
    name: "more",
    hidden: true,
    onclick: () => {
      this.view.set("limit", String(Math.min(this.total, MAX_LIMIT)));
      void this.reload();
    },
  });
  private readonly tableWrap = h("div", { class: "table-wrap" });
  private readonly content = h("div", { class: "content" });
  private readonly filterError = h("span", { class: "error", role: "alert" });
  private readonly charts: RunsCharts;
  private bar: HTMLElement = h("div");

  constructor(
    private readonly root: HTMLElement,
    private readonly project: string,
    params: URLSearchParams,
  ) {
    this.view = new HashView(params);
    this.explicit = params.has("sel");
    this.selected = new Set(this.view.list("sel"));
    this.charts = new RunsCharts(this.view, this.content, {
      runs: () => this.runs,
      selectedRuns: () => this.selectedRuns(),
      selected: () => this.selected,
      explicit: () => this.explicit,
      runsQuery: (limit) => runsQueryString(this.runQuery(limit)),
      fullLimit: () => this.fullLimit(),
      color: () => this.colorMap(),
      // The content box's own width (the page's minus its padding).
      width: () => this.content.clientWidth || this.root.clientWidth - 32,
      redrawTable: () => this.drawTable(),
    });
  }

  /** Builds the page and draws its first view (the toolbar comes with the first page of runs). */
  async open(): Promise<void> {
    this.parseFilterBox();
    const { root, project, count, more } = this;
    root.replaceChildren(
      h("h2", null, project, " ", count, " ", more, this.actions()),
      this.bar,
      this.tableWrap,
      this.content,
    );
    // The toolbar's column and group-by choices come from the first page of runs.
    await this.loadAndDraw(() => this.replaceToolbar());
  }

  /**
   * Live: refetch the table when runs change; refetch charts when a charted run changed or
   * got points, or when the default selection (the first rows) moved to other runs. Returns
   * the function that stops it.
   */
  watchLive(): () => void {
    let tableDirty = false;
    let chartsDirty = false;
    let ticks = 0;
    const liveRefresh = throttle(async () => {
      // A test hook: how many live refreshes ran (one may send no request at all).
      this.root.dataset.liveTicks = String(++ticks);
      if (tableDirty) {
        tableDirty = false;
        const before = [...this.selected].join(",");
        if (!(await this.load())) return;
        this.drawTable();
        if ([...this.selected].join(",") !== before) chartsDirty = true;
        // The sweep views show every run (their brushes are kept in the address).
        if (this.view.get("view") === "hpo") chartsDirty = true;
      }
      if (chartsDirty) {
        chartsDirty = false;
        await this.drawContent();
      }
    }, LIVE_INTERVAL_MS);
    const unsubscribe = subscribe(this.project, (e) => {
      if (e.type === "run") tableDirty = true;
      if (e.runIds.some((id) => this.selected.has(id))) chartsDirty = true;
      if (tableDirty || chartsDirty) liveRefresh();
    });
    return () => {
      unsubscribe();
      this.charts.clear();
    };
  }

  /** The default columns, chosen once from the first runs loaded (sorting or filtering keeps them). */
  private defaults: string[] | null = null;

  private columns = (): string[] => {
    if (this.view.has("cols")) return this.view.list("cols");
    if (this.defaults === null && this.runs.length > 0) this.defaults = defaultColumns(this.runs);
    return this.defaults ?? defaultColumns(this.runs);
  };

  private groupBy(): string {
    return this.view.get("by");
  }

  private selectedRuns(): Run[] {
    return this.runs.filter((r) => this.selected.has(r.id)).slice(0, MAX_CHARTED);
  }

  /**
   * Charted runs take palette colors in table order, so a few runs never share a color;
   * the same run has the same color in the table and in every panel.
   */
  private colorMap(): (id: string) => string {
    const m = new Map(this.selectedRuns().map((r, i) => [r.id, PALETTE[i % PALETTE.length]!]));
    return (id: string) => m.get(id) ?? colorFor(id);
  }

  /** Parses the filter box into `filter`; false (and the error shown) when it does not parse. */
  private parseFilterBox(): boolean {
    try {
      this.filter = parseFilter(this.view.get("f"));
      this.filterError.textContent = "";
      return true;
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) throw e;
      this.filterError.textContent = e.message;
      return false;
    }
  }

  private fullLimit(): number {
    return Number(this.view.get("limit", "1000"));
  }

  /** The first page: enough for the visible rows and the default charted runs. */
  private firstPage(): number {
    return Math.min(this.fullLimit(), Math.max(FIRST_PAGE, Number(this.view.get("top", "0"))));
  }

  private runQuery(limit: number): RunQuery {
    const get = this.view.get;
    return {
      project: this.project,
      sort: get("sort", "-createdAt"),
      state: get("state") || undefined,
      q: get("q") || undefined,
      tags: get("tag") ? get("tag").split(",") : undefined,
      filter: this.filter,
      limit,
    };
  }

  /**
   * Loads the runs; false when the server refused the query (a filter it cannot run): the
   * refusal is shown next to the filter box, the last result stays, and live updates do not
   * send the same query again.
   */
  private async load(limit = this.fullLimit()): Promise<boolean> {
    const q = this.runQuery(limit);
    // A refusal is about the query, not the page size: the full list would be refused too.
    const qs = runsQueryString({ ...q, limit: undefined });
    if (qs === this.refused) return false;
    let res: Awaited<ReturnType<typeof listRuns>>;
    try {
      res = await listRuns(q);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 400) throw e;
      this.refused = qs;
      this.filterError.textContent = `The server refused this filter: ${e.message.replace(/^[^:]*: /, "")}`;
      return false;
    }
    this.refused = null;
    this.filterError.textContent = "";
    markOnce("amltk:runs-data");
    this.runs = res.runs;
    this.total = res.total;
    if (!this.explicit) {
      const top = Number(this.view.get("top", String(DEFAULT_TOP)));
      this.selected = new Set(this.runs.slice(0, top).map((r) => r.id));
    }
    this.count.textContent = `${this.runs.length} of ${this.total} runs`;
    // Past the loaded limit (default 1,000), offer the rest up to the server's 10,000.
    const { more, total } = this;
    more.hidden = !(total > this.runs.length && limit === this.fullLimit() && limit < MAX_LIMIT);
    more.textContent = `load ${Math.min(total, MAX_LIMIT)}`;
    return true;
  }

  /** Compare, CSV export and saved views (runs-actions.ts). */
  private actions(): HTMLElement {
    return runsActions({
      project: this.project,
      selected: () => this.selected,
      tableRuns: () => this.tableRuns(),
      columns: () => this.columns(),
    });
  }

  /** The table's rows: the loaded runs, narrowed by the sweep view's brushes. */
  private tableRuns(): Run[] {
    const get = this.view.get;
    const brushes = get("view") === "hpo" ? parseBrushes(get("brush")) : new Map();
    if (brushes.size === 0) return this.runs;
    return brushedRuns(this.runs, pickMetric(this.runs, get("metric")), brushes);
  }

  private drawTable = (): void => {
    const by = this.groupBy();
    const { get, set } = this.view;
    this.tableWrap.replaceChildren(
      renderTable(
        {
          runs: this.tableRuns(),
          columns: this.columns(),
          sort: get("sort", "-createdAt"),
          selected: this.selected,
          color: this.colorMap(),
          groups: by ? groupRuns(this.tableRuns(), by) : null,
          onSort: (path) => {
            const cur = get("sort", "-createdAt");
            set("sort", cur === `-${path}` ? path : `-${path}`);
            void this.reload();
          },
          onToggle: (id, on) => this.select([id], on),
          onToggleMany: (ids, on) => this.select(ids, on),
        },
        this.tableWrap,
      ),
    );
    markPainted("amltk:runs-table");
  };

  private select(ids: string[], on: boolean): void {
    this.explicit = true;
    for (const id of ids) on ? this.selected.add(id) : this.selected.delete(id);
    this.view.set("sel", [...this.selected].join(","));
    this.drawTable();
    void this.drawContent();
  }

  /** Below the table: the sweep views, or the chart grid of the selected runs. */
  private drawContent = (prefetched?: Prefetched): Promise<void> => this.charts.draw(prefetched);

  private async reload(): Promise<void> {
    if (!this.parseFilterBox()) return;
    await this.loadAndDraw();
  }

  /**
   * Loads the first page, draws, then loads the rest and redraws: the rows in view and the
   * default charts do not wait for a thousand runs to arrive (sorting is done by the server,
   * so the first page is exactly the top of the full table).
   */
  private async loadAndDraw(onFirstPage?: () => void): Promise<void> {
    const partial = this.firstPage() < this.fullLimit();
    // The runs request goes first (the server answers in order), the charts' right after it.
    const loading = this.load(partial ? this.firstPage() : this.fullLimit());
    const prefetched = this.charts.prefetch();
    if (!(await loading)) {
      onFirstPage?.();
      return;
    }
    let charts: Promise<void>;
    if (prefetched) {
      onFirstPage?.();
      charts = this.drawChartsFirst(prefetched);
      await this.drawTableAfter(charts);
    } else {
      charts = this.drawTableWhileCharting(onFirstPage);
    }
    if (partial && this.total > this.runs.length) await this.loadTheRest(charts);
    markPainted("amltk:runs-table-complete");
    await charts;
  }

  /**
   * The view names its charts and their data is (nearly) here already: the charts are what
   * this link asks for, so they paint first, then the table in a task of its own (neither
   * waits for a frame that holds both; bench/ui.ts measured the table's frame at ~90 ms
   * under load). The table's box keeps its usual height meanwhile, so the charts below it
   * do not jump when the rows arrive. Returns the charts' drawing.
   */
  private drawChartsFirst(prefetched: Prefetched): Promise<void> {
    this.tableWrap.style.minHeight = this.runs.length >= 20 ? "42vh" : "";
    return this.drawContent(prefetched);
  }

  /** The table, once the charts painted (or a second passed), at its own height again. */
  private async drawTableAfter(charts: Promise<void>): Promise<void> {
    await Promise.race([charts, new Promise((resolve) => setTimeout(resolve, 1000))]);
    await nextPaint();
    this.drawTable();
    this.tableWrap.style.minHeight = "";
  }

  /** Charts first: their request goes out before the toolbar and table are built. */
  private drawTableWhileCharting(onFirstPage?: () => void): Promise<void> {
    const charts = this.drawContent();
    onFirstPage?.();
    this.drawTable();
    return charts;
  }

  /**
   * The server answers one request at a time: lets the charts' query go first, and the charts
   * paint before parsing and laying out the full list (it would delay their frame).
   */
  private async loadTheRest(charts: Promise<void>): Promise<void> {
    await charts;
    await nextPaint();
    if (!(await this.load())) return;
    this.drawTable();
    // The sweep views need every run; default charts do not, and grouped charts ask the
    // server for every run of their groups already.
    if (this.view.get("view") === "hpo" || (this.groupBy() && this.explicit))
      await this.drawContent();
  }

  private replaceToolbar(): void {
    const next = this.makeToolbar();
    this.bar.replaceWith(next);
    this.bar = next;
  }

  private makeToolbar(): HTMLElement {
    return toolbar(this.view, {
      available: availableColumns(this.runs),
      tags: [...new Set(this.runs.flatMap((r) => r.tags))].sort(),
      columns: this.columns,
      filterError: this.filterError,
      reload: () => void this.reload(),
      redrawTable: this.drawTable,
      regroup: () => {
        this.drawTable();
        void this.drawContent();
      },
      switchView: (v) => {
        this.view.set("view", v === "charts" ? null : v);
        this.content.replaceChildren();
        this.replaceToolbar();
        void this.drawContent();
      },
    });
  }
}
