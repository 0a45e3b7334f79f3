/**
 * The runs table: chosen config/summary columns, a sortable header (sorting is done by the
 * server so it holds across pages), state badges, per-run colors, selection checkboxes and
 * optional grouping rows. Rows carry `data-run-id` for tests and scripts.
 */
import type { Run } from "./api.js";
import { colorFor, fmt, fmtTime, h, pathValue } from "./dom.js";
import { runHref } from "./router.js";

export interface TableOptions {
  runs: readonly Run[];
  columns: readonly string[];
  sort: string;
  selected: ReadonlySet<string>;
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
      h("span", { class: "sw", style: `background:${colorFor(run.id)}` }),
      h("a", { href: runHref(run.id) }, run.name),
    ),
    h("td", null, stateBadge(run.state, run.exitCode)),
    ...o.columns.map((c) => {
      const v = c === "createdAt" ? fmtTime(run.createdAt) : fmt(pathValue(run, c));
      return h("td", { class: "num", "data-col": c }, v);
    }),
  );
}

export function renderTable(o: TableOptions): HTMLTableElement {
  const sortKey = o.sort.replace(/^-/, "");
  const desc = o.sort.startsWith("-");
  const th = (path: string, label: string) =>
    h(
      "th",
      {
        "data-col": path,
        title: path,
        class: `sortable${sortKey === path ? (desc ? " desc" : " asc") : ""}`,
        onclick: () => o.onSort(path),
      },
      label,
    );
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
  const body = h("tbody");
  const width = o.columns.length + 3;
  if (o.groups) {
    for (const [label, runs] of o.groups) {
      const ids = runs.map((r) => r.id);
      const groupOn = ids.every((id) => o.selected.has(id));
      body.append(
        h(
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
        ),
      );
      for (const r of runs) body.append(row(r, o));
    }
  } else {
    // One fragment: a single layout pass for a thousand rows.
    const frag = document.createDocumentFragment();
    for (const r of o.runs) frag.append(row(r, o));
    body.append(frag);
  }
  return h("table", { class: "runs" }, head, body);
}

/** Groups runs by `group`, `tags` (a run with several tags appears under each) or `config.<key>`. */
export function groupRuns(runs: readonly Run[], by: string): Map<string, Run[]> {
  const groups = new Map<string, Run[]>();
  const add = (label: string, r: Run) => {
    const g = groups.get(label) ?? [];
    groups.set(label, g);
    g.push(r);
  };
  for (const r of runs) {
    if (by === "tags") {
      if (r.tags.length === 0) add("(no tags)", r);
      for (const t of r.tags) add(t, r);
    } else {
      const v = by === "group" ? r.group : pathValue(r, by);
      add(v === null || v === undefined ? `(no ${by})` : fmt(v), r);
    }
  }
  return groups;
}

/** Columns offered by the chooser: every config and summary key seen in the loaded runs. */
export function availableColumns(runs: readonly Run[]): string[] {
  const cols = new Set<string>(["createdAt", "group", "jobType", "exitCode", "tags"]);
  for (const r of runs.slice(0, 500)) {
    for (const k of Object.keys(r.config ?? {})) cols.add(`config.${k}`);
    for (const k of Object.keys(r.summary ?? {})) if (!k.startsWith("_")) cols.add(`summary.${k}`);
  }
  return [...cols];
}

/** Default columns: up to 5 config keys and 4 summary keys of the first runs. */
export function defaultColumns(runs: readonly Run[]): string[] {
  const all = availableColumns(runs);
  return [
    ...all.filter((c) => c.startsWith("config.")).slice(0, 5),
    ...all.filter((c) => c.startsWith("summary.")).slice(0, 4),
    "createdAt",
  ];
}
