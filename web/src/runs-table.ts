/**
 * The runs table: chosen config/summary columns, a sortable header (sorting is done by the
 * server so it holds across pages), state badges, per-run colors, selection checkboxes and
 * optional grouping rows. Rows carry `data-run-id` for tests and scripts.
 */
import type { Run } from "./api.js";
import { h } from "./element.js";
import { fmt, fmtTime } from "./format.js";
import { runHref } from "./router.js";
import { flatEntries, pathValue } from "./run-fields.js";
import { runStatus } from "./run-status.js";

export interface TableOptions {
  runs: readonly Run[];
  columns: readonly string[];
  sort: string;
  selected: ReadonlySet<string>;
  color: (runId: string) => string;
  /** Ordered group label -> runs (already computed by the page); null for a flat table. */
  groups: Map<string, Run[]> | null;
  onSort(path: string): void;
  onToggle(id: string, on: boolean): void;
  onToggleMany(ids: string[], on: boolean): void;
}

export function stateBadge(state: string, exitCode?: number | null): HTMLElement {
  const title = exitCode === null || exitCode === undefined ? state : `${state} (exit ${exitCode})`;
  return h("span", { class: `badge state-${state}`, title }, state);
}

/** Short header text: `config.lr` shows as `lr`, with the source as a tooltip. */
function headerLabel(path: string): string {
  if (path === "createdAt") return "created (UTC)";
  return path.replace(/^(config|summary)\./, "");
}

function row(run: Run, o: TableOptions): HTMLTableRowElement {
  const on = o.selected.has(run.id);
  return h(
    "tr",
    { "data-run-id": run.id, class: on ? "sel" : "" },
    h(
      "td",
      null,
      h("input", {
        type: "checkbox",
        checked: on,
        "aria-label": `select ${run.name}`,
        onchange: (e: Event) => o.onToggle(run.id, (e.target as HTMLInputElement).checked),
      }),
    ),
    h(
      "td",
      { class: "name" },
      h("span", {
        class: "sw",
        style: `background:${o.selected.has(run.id) ? o.color(run.id) : "#ccc"}`,
      }),
      h("a", { href: runHref(run.id) }, run.name),
    ),
    h("td", null, stateBadge(runStatus(run), run.exitCode)),
    ...o.columns.map((c) => {
      const v =
        c === "createdAt"
          ? fmtTime(run.createdAt)
          : c === "tags"
            ? run.tags.join(", ")
            : fmt(pathValue(run, c));
      // Long values are cut by CSS; the whole value is the cell's tooltip.
      return h("td", { class: "num", "data-col": c, title: v.length > 24 ? v : undefined }, v);
    }),
  );
}

/**
 * Builds the table. `scroller` is the element that scrolls it: past `VIRTUAL_ABOVE` rows only
 * the visible window is in the DOM and scrolling swaps rows in.
 */
export function renderTable(o: TableOptions, scroller: HTMLElement): HTMLTableElement {
  const sortKey = o.sort.replace(/^-/, "");
  const desc = o.sort.startsWith("-");
  const th = (path: string, label: string) => {
    const sorted = sortKey === path ? (desc ? "descending" : "ascending") : "none";
    const source = /^(config|summary)\./.exec(path)?.[1];
    // Headers sort on click and, for keyboard users, on Enter or Space.
    return h(
      "th",
      {
        "data-col": path,
        title: source ? `${path} (from the run's ${source})` : path,
        class: `sortable${sortKey === path ? (desc ? " desc" : " asc") : ""}`,
        tabindex: 0,
        "aria-sort": sorted,
        onclick: () => o.onSort(path),
        onkeydown: (e: Event) => {
          const key = (e as KeyboardEvent).key;
          if (key !== "Enter" && key !== " ") return;
          e.preventDefault();
          o.onSort(path);
        },
      },
      label,
      source
        ? h("small", { class: `col-src src-${source}` }, source === "config" ? "config" : "summary")
        : null,
    );
  };
  const allIds = o.runs.map((r) => r.id);
  const allOn = allIds.length > 0 && allIds.every((id) => o.selected.has(id));
  const head = h(
    "thead",
    null,
    h(
      "tr",
      null,
      h(
        "th",
        null,
        h("input", {
          type: "checkbox",
          checked: allOn,
          "aria-label": "select all",
          onchange: (e: Event) => o.onToggleMany(allIds, (e.target as HTMLInputElement).checked),
        }),
      ),
      th("name", "name"),
      th("state", "state"),
      ...o.columns.map((c) => th(c, headerLabel(c))),
    ),
  );
  const items: Item[] = [];
  if (o.groups) {
    for (const [label, runs] of o.groups) {
      items.push({ group: label, runs });
      for (const run of runs) items.push({ run });
    }
  } else {
    for (const run of o.runs) items.push({ run });
  }
  const width = o.columns.length + 3;
  const draw = (item: Item) =>
    item.run ? row(item.run, o) : groupRow(item.group, item.runs, width, o);
  const body = h("tbody");
  const table = h("table", { class: "runs", "data-rows": o.runs.length }, head, body);
  if (items.length <= VIRTUAL_ABOVE) {
    body.append(...items.map(draw));
    return table;
  }
  // Many runs: only the rows in view (plus a margin) exist; spacer rows keep the scrollbar true.
  // Laying out a thousand-row table costs far more than building it.
  let shown = "";
  const paint = () => {
    const viewport = scroller.clientHeight || window.innerHeight;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(items.length, first + Math.ceil(viewport / ROW_HEIGHT) + 2 * OVERSCAN);
    if (shown === `${first}:${last}`) return;
    shown = `${first}:${last}`;
    body.replaceChildren(
      spacer(first * ROW_HEIGHT, width),
      ...items.slice(first, last).map(draw),
      spacer((items.length - last) * ROW_HEIGHT, width),
    );
  };
  let queued = false;
  // One listener per scroller: a redraw replaces the previous table's handler.
  scroller.onscroll = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      paint();
    });
  };
  paint();
  return table;
}

/** Rows per table above which only the visible rows are rendered. */
const VIRTUAL_ABOVE = 60;
/** Must match the CSS row height of `table.runs tbody tr`. */
const ROW_HEIGHT = 26;
const OVERSCAN = 15;

type Item =
  | { run: Run; group?: undefined; runs?: undefined }
  | { run?: undefined; group: string; runs: Run[] };

function spacer(height: number, width: number): HTMLTableRowElement {
  return h("tr", { class: "spacer", style: `height:${height}px` }, h("td", { colspan: width }));
}

function groupRow(label: string, runs: Run[], width: number, o: TableOptions): HTMLTableRowElement {
  const ids = runs.map((r) => r.id);
  const groupOn = ids.every((id) => o.selected.has(id));
  return h(
    "tr",
    { class: "group-row", "data-group": label },
    h(
      "td",
      { colspan: width },
      h("input", {
        type: "checkbox",
        checked: groupOn,
        "aria-label": `select group ${label}`,
        onchange: (e: Event) => o.onToggleMany(ids, (e.target as HTMLInputElement).checked),
      }),
      ` ${label} `,
      h("span", { class: "muted" }, `(${runs.length})`),
    ),
  );
}

/** Groups runs as the server's group aggregates do (one function, so labels and counts agree). */
export { groupRuns } from "../../src/server/run-groups.js";

/** Columns offered by the chooser: every config and summary key seen in the loaded runs. */
export function availableColumns(runs: readonly Run[]): string[] {
  const cols = new Set<string>(["createdAt", "group", "jobType", "exitCode", "tags"]);
  for (const r of runs.slice(0, 500)) {
    for (const [k] of flatEntries(r.config ?? {})) cols.add(`config.${k}`);
    for (const k of Object.keys(r.summary ?? {})) if (!k.startsWith("_")) cols.add(`summary.${k}`);
  }
  return [...cols];
}

/**
 * Default columns, the same whatever the sort, filter or page: the objective first (the W&B
 * plugin's `metric/<name>` summary keys, else `cost`/`loss`), then up to 5 config keys and 3
 * more summary keys, each in name order, then the creation time.
 */
export function defaultColumns(runs: readonly Run[]): string[] {
  const all = availableColumns(runs);
  const summary = all.filter((c) => c.startsWith("summary.")).sort();
  const objective = summary.filter((c) => c.startsWith("summary.metric/"));
  if (objective.length === 0) {
    objective.push(...summary.filter((c) => /^summary\.(.*\/)?(cost|loss)$/.test(c)).slice(0, 1));
  }
  const config = all.filter((c) => c.startsWith("config.")).sort();
  const rest = summary.filter((c) => !objective.includes(c) && !c.startsWith("summary.profile/"));
  return [
    ...objective.slice(0, 2),
    ...config.slice(0, 5),
    ...rest.slice(0, Math.max(0, 4 - Math.min(2, objective.length))),
    "createdAt",
  ];
}
