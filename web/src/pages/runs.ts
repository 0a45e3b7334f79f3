/**
 * A project's runs: toolbar (search, filter, state, group by, columns), the runs table, and
 * below it either the chart grid of the selected runs or the sweep (HPO) views. All view
 * state lives in the hash query, so a reload or a shared link shows the same view.
 */
import {
  listRuns,
  type Run,
  type RunFilter,
  type RunQuery,
  runsQueryString,
  series,
  type XMode,
} from "../api.js";
import { ChartGrid, type Prefetched, seriesShape } from "../charts/grid.js";
import { colorFor, PALETTE } from "../colors.js";
import { h } from "../element.js";
import { FilterSyntaxError, parseFilter } from "../filter.js";
import { renderHpo } from "../hpo/view.js";
import { subscribe, throttle } from "../live.js";
import { markOnce, markPainted } from "../perf.js";
import { replaceParams } from "../router.js";
import { availableColumns, defaultColumns, groupRuns, renderTable } from "../runs-table.js";
import { chartControls, toolbar } from "./runs-controls.js";

/** Runs charted when the user has not picked any: the first rows of the table, like W&B. */
const DEFAULT_TOP = 10;
/** The server's cap on one runs request. */
const MAX_LIMIT = 10_000;
/** Runs in the first request; the rest follow (see `loadAndDraw`). */
const FIRST_PAGE = 100;
/** A chart request names at most this many runs (the server's limit is 1,000). */
const MAX_CHARTED = 500;
const LIVE_INTERVAL_MS = 1000;

/** Resolves after the next frame has been rendered (or soon, in a hidden tab that has none). */
function nextPaint(): Promise<void> {
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 250);
  });
}

export async function runsPage(root: HTMLElement, project: string, params: URLSearchParams) {
  const get = (k: string, d = "") => params.get(k) ?? d;
  const set = (k: string, v: string | null) => {
    if (v === null || v === "") params.delete(k);
    else params.set(k, v);
    replaceParams(params);
  };
  let runs: Run[] = [];
  let total = 0;
  let filter: RunFilter[] = [];
  let explicit = params.has("sel");
  let selected = new Set(get("sel").split(",").filter(Boolean));

  const count = h("span", { class: "muted", id: "run-count" });
  const more = h("button", {
    name: "more",
    hidden: true,
    onclick: () => {
      set("limit", String(Math.min(total, MAX_LIMIT)));
      void reload();
    },
  });
  const tableWrap = h("div", { class: "table-wrap" });
  const content = h("div", { class: "content" });
  const filterError = h("span", { class: "error", role: "alert" });
  const grid = new ChartGrid({
    runs: [],
    keys: [],
    xMode: "step",
    smoothing: 0,
    log: false,
    groups: null,
    onFirstDraw: () => markPainted("amltk:chart"),
  });

  const columns = () =>
    params.has("cols") ? get("cols").split(",").filter(Boolean) : defaultColumns(runs);
  const groupBy = () => get("by");
  const selectedRuns = () => runs.filter((r) => selected.has(r.id)).slice(0, MAX_CHARTED);
  // Charted runs take palette colors in table order, so a few runs never share a color;
  // the same run has the same color in the table and in every panel.
  const colorMap = () => {
    const m = new Map(selectedRuns().map((r, i) => [r.id, PALETTE[i % PALETTE.length]!]));
    return (id: string) => m.get(id) ?? colorFor(id);
  };

  function parseFilterBox(): boolean {
    try {
      filter = parseFilter(get("f"));
      filterError.textContent = "";
      return true;
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) throw e;
      filterError.textContent = e.message;
      return false;
    }
  }

  const fullLimit = () => Number(get("limit", "1000"));
  /** The first page: enough for the visible rows and the default charted runs. */
  const firstPage = () => Math.min(fullLimit(), Math.max(FIRST_PAGE, Number(get("top", "0"))));

  const runQuery = (limit: number): RunQuery => ({
    project,
    sort: get("sort", "-createdAt"),
    state: get("state") || undefined,
    q: get("q") || undefined,
    tags: get("tag") ? get("tag").split(",") : undefined,
    filter,
    limit,
  });

  async function load(limit = fullLimit()): Promise<void> {
    const res = await listRuns(runQuery(limit));
    markOnce("amltk:runs-data");
    runs = res.runs;
    total = res.total;
    if (!explicit)
      selected = new Set(runs.slice(0, Number(get("top", String(DEFAULT_TOP)))).map((r) => r.id));
    count.textContent = `${runs.length} of ${total} runs`;
    // Past the loaded limit (default 1,000), offer the rest up to the server's 10,000.
    more.hidden = !(total > runs.length && limit === fullLimit() && limit < MAX_LIMIT);
    more.textContent = `load ${Math.min(total, MAX_LIMIT)}`;
  }

  function drawTable(): void {
    const by = groupBy();
    tableWrap.replaceChildren(
      renderTable(
        {
          runs,
          columns: columns(),
          sort: get("sort", "-createdAt"),
          selected,
          color: colorMap(),
          groups: by ? groupRuns(runs, by) : null,
          onSort: (path) => {
            const cur = get("sort", "-createdAt");
            set("sort", cur === `-${path}` ? path : `-${path}`);
            void reload();
          },
          onToggle: (id, on) => select([id], on),
          onToggleMany: (ids, on) => select(ids, on),
        },
        tableWrap,
      ),
    );
    markPainted("amltk:runs-table");
  }

  function select(ids: string[], on: boolean): void {
    explicit = true;
    for (const id of ids) on ? selected.add(id) : selected.delete(id);
    set("sel", [...selected].join(","));
    drawTable();
    void drawContent();
  }

  function chartGroups(): Map<string, string[]> | null {
    const by = groupBy();
    if (!by) return null;
    const g = groupRuns(selectedRuns(), by);
    return new Map([...g].map(([k, rs]) => [k, rs.map((r) => r.id)]));
  }

  /**
   * The default charts (the first `top` runs, keys named in the view) asked for by query, at
   * the same time as the runs: the chart does not wait for the runs list to arrive first.
   */
  function prefetchCharts(): Prefetched | undefined {
    const keys = get("keys").split(",").filter(Boolean);
    if (get("view") === "hpo" || explicit || groupBy() || keys.length === 0) return undefined;
    const n = Math.min(Number(get("top", String(DEFAULT_TOP))), MAX_CHARTED, fullLimit());
    if (!(n > 0)) return undefined;
    const shape = seriesShape(n, { groups: null, smoothing: Number(get("smooth", "0")) });
    const runsQuery = runsQueryString(runQuery(n));
    const x = (get("x", "step") as XMode) || "step";
    return new Map(
      keys.map((key) => {
        const data = series({ runsQuery, keys: [key], x, ...shape });
        data.catch(() => {}); // a failed prefetch falls back to a normal request
        return [key, { shape, data }];
      }),
    );
  }

  async function drawContent(prefetched?: Prefetched): Promise<void> {
    if (get("view") === "hpo") {
      grid.clear();
      content.replaceChildren(
        renderHpo(
          {
            runs,
            metric: get("metric"),
            dir: get("dir") === "max" ? "max" : "min",
            param: get("param"),
            onChange: (next) => {
              for (const [k, v] of Object.entries(next)) set(k, v ?? null);
              void drawContent();
            },
          },
          Math.max(480, root.clientWidth - 24),
        ),
      );
      return;
    }
    if (!grid.el.isConnected) {
      const controls = chartControls(view, {
        rerender: () => {
          grid.clear();
          void drawContent();
        },
        redraw: () => void drawContent(),
      });
      content.replaceChildren(controls, grid.el);
    }
    await grid.load({
      runs: selectedRuns(),
      keys: get("keys").split(",").filter(Boolean),
      xMode: (get("x", "step") as XMode) || "step",
      smoothing: Number(get("smooth", "0")),
      log: get("log") === "1",
      groups: chartGroups(),
      color: colorMap(),
      prefetched,
    });
  }

  async function reload(): Promise<void> {
    if (!parseFilterBox()) return;
    await loadAndDraw();
  }

  /**
   * Loads the first page, draws, then loads the rest and redraws: the rows in view and the
   * default charts do not wait for a thousand runs to arrive (sorting is done by the server,
   * so the first page is exactly the top of the full table).
   */
  async function loadAndDraw(onFirstPage?: () => void): Promise<void> {
    const partial = firstPage() < fullLimit();
    // The runs request goes first (the server answers in order), the charts' right after it.
    const loading = load(partial ? firstPage() : fullLimit());
    const prefetched = prefetchCharts();
    await loading;
    let charts: Promise<void>;
    if (prefetched) {
      // The view names its charts and their data is (nearly) here already: the charts are what
      // this link asks for, so they paint first, then the table in a task of its own (neither
      // waits for a frame that holds both; bench/ui.ts measured the table's frame at ~90 ms
      // under load). The table's box keeps its usual height meanwhile, so the charts below it
      // do not jump when the rows arrive.
      onFirstPage?.();
      tableWrap.style.minHeight = runs.length >= 20 ? "42vh" : "";
      charts = drawContent(prefetched);
      await Promise.race([charts, new Promise((resolve) => setTimeout(resolve, 1000))]);
      await nextPaint();
      drawTable();
      tableWrap.style.minHeight = "";
    } else {
      // Charts first: their request goes out before the toolbar and table are built.
      charts = drawContent();
      onFirstPage?.();
      drawTable();
    }
    if (partial && total > runs.length) {
      // The server answers one request at a time: let the charts' query go first, and let the
      // charts paint before parsing and laying out the full list (it would delay their frame).
      await charts;
      await nextPaint();
      await load();
      drawTable();
      // Views over all runs (sweep, grouping) need the rest; default charts do not.
      if (get("view") === "hpo" || groupBy()) await drawContent();
    }
    markPainted("amltk:runs-table-complete");
    await charts;
  }

  const view = { get, set };
  function makeToolbar(): HTMLElement {
    return toolbar(view, {
      available: availableColumns(runs),
      tags: [...new Set(runs.flatMap((r) => r.tags))].sort(),
      columns,
      filterError,
      reload: () => void reload(),
      redrawTable: drawTable,
      regroup: () => {
        drawTable();
        void drawContent();
      },
      switchView: (v) => {
        set("view", v === "charts" ? null : v);
        content.replaceChildren();
        const next = makeToolbar();
        bar.replaceWith(next);
        bar = next;
        void drawContent();
      },
    });
  }

  parseFilterBox();
  let bar: HTMLElement = h("div");
  root.replaceChildren(h("h2", null, project, " ", count, " ", more), bar, tableWrap, content);
  // The toolbar's column and group-by choices come from the first page of runs.
  await loadAndDraw(() => {
    const next = makeToolbar();
    bar.replaceWith(next);
    bar = next;
  });

  // Live: refetch the table when runs change; refetch charts when a charted run changed or
  // got points, or when the default selection (the first rows) moved to other runs.
  let tableDirty = false;
  let chartsDirty = false;
  const liveRefresh = throttle(async () => {
    if (tableDirty) {
      tableDirty = false;
      const before = [...selected].join(",");
      await load();
      drawTable();
      if ([...selected].join(",") !== before) chartsDirty = true;
    }
    if (chartsDirty) {
      chartsDirty = false;
      await drawContent();
    }
  }, LIVE_INTERVAL_MS);
  const unsubscribe = subscribe(project, (e) => {
    if (e.type === "run") tableDirty = true;
    if (e.runIds.some((id) => selected.has(id))) chartsDirty = true;
    if (tableDirty || chartsDirty) liveRefresh();
  });
  return () => {
    unsubscribe();
    grid.clear();
  };
}
