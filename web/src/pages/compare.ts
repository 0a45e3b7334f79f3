/**
 * Run comparison (`#/p/<project>/compare?ids=a,b,c`): the chosen runs side by side, one
 * column per run and one row per field (meta, flattened config, summary), rows whose values
 * differ between the runs highlighted, and a switch that shows only those rows. Values are
 * compared as the table shows them (`fmt`), so 0.1 and 0.10000000001 read as equal only
 * when they print the same.
 */
import { getRun, type Run, runsByIds } from "../api.js";
import { colorFor } from "../colors.js";
import { h } from "../element.js";
import { fmt, fmtTime } from "../format.js";
import { markPainted } from "../perf.js";
import { replaceParams, runHref, runsHref } from "../router.js";
import { flatEntries } from "../run-fields.js";
import { runStatus } from "../run-status.js";
import { stateBadge } from "../runs-table.js";

/** The most runs one comparison shows (wider tables stop being readable). */
export const MAX_COMPARED = 50;

/**
 * Rows drawn before the first paint: more than the scroll box (80% of the window, ~21 px a
 * row) shows on a tall screen; the others follow in the next frame, so a wide config does not
 * make the first paint wait for rows nobody sees yet.
 */
const FIRST_ROWS = 60;

/** One row of the comparison: a field and each run's value as shown. */
interface CompareRow {
  section: "run" | "config" | "summary";
  key: string;
  values: string[];
  differs: boolean;
}

/** The address of the comparison of `ids` in `project`. */
export function compareHref(project: string, ids: readonly string[]): string {
  const q = new URLSearchParams({ ids: ids.join(",") });
  return `#/p/${encodeURIComponent(project)}/compare?${q}`;
}

/** Leaf values of a record by dotted key, as the run page and table name them. */
function leaves(obj: Record<string, unknown> | undefined): Map<string, unknown> {
  return new Map(flatEntries(obj ?? {}));
}

/** The rows of one section: the union of the runs' keys, sorted, each run's value formatted. */
function sectionRows(
  section: CompareRow["section"],
  runs: readonly Run[],
  fields: (r: Run) => Map<string, unknown>,
): CompareRow[] {
  const perRun = runs.map(fields);
  const keys = [...new Set(perRun.flatMap((m) => [...m.keys()]))].sort();
  return keys.map((key) => {
    const values = perRun.map((m) => (m.has(key) ? fmt(m.get(key)) : "—"));
    return { section, key, values, differs: new Set(values).size > 1 };
  });
}

/** Every row of the comparison: meta fields first, then config, then summary. */
export function compareRows(runs: readonly Run[]): CompareRow[] {
  const meta = (r: Run) =>
    new Map<string, unknown>([
      ["state", runStatus(r)],
      ["group", r.group ?? ""],
      ["tags", r.tags.join(", ")],
      ["created (UTC)", fmtTime(r.createdAt)],
      ["notes", r.notes ?? ""],
    ]);
  return [
    ...sectionRows("run", runs, meta),
    ...sectionRows("config", runs, (r) => leaves(r.config)),
    ...sectionRows("summary", runs, (r) => leaves(r.summary)),
  ];
}

/**
 * The runs in the order asked, in one request for the project's runs by id; an id not in the
 * project (run ids are global) is asked for on its own, and ids the server does not know are
 * listed apart.
 */
async function loadRuns(
  project: string,
  ids: readonly string[],
): Promise<{ runs: Run[]; missing: string[] }> {
  const byId = new Map((await runsByIds(project, ids)).map((r) => [r.id, r]));
  const got = await Promise.all(ids.map((id) => byId.get(id) ?? getRun(id).catch(() => null)));
  const runs = got.filter((r): r is Run => r !== null);
  return { runs, missing: ids.filter((_, i) => got[i] === null) };
}

function headerRow(runs: readonly Run[]): HTMLElement {
  return h(
    "tr",
    null,
    h("th", null, "field"),
    ...runs.map((r) =>
      h(
        "th",
        { "data-run-id": r.id, title: r.id },
        h("span", { class: "sw", style: `background:${colorFor(r.id)}` }),
        h("a", { href: runHref(r.id) }, r.name),
        " ",
        stateBadge(runStatus(r), r.exitCode),
      ),
    ),
  );
}

function bodyRows(rows: readonly CompareRow[], onlyDiff: boolean): HTMLElement[] {
  const out: HTMLElement[] = [];
  let section = "";
  for (const row of rows) {
    if (onlyDiff && !row.differs) continue;
    if (row.section !== section) {
      section = row.section;
      out.push(h("tr", { class: "section" }, h("th", { colspan: row.values.length + 1 }, section)));
    }
    out.push(
      h(
        "tr",
        {
          class: row.differs ? "differs" : "",
          "data-key": `${row.section}.${row.key}`,
          "data-differs": row.differs ? "1" : "0",
        },
        h("th", { class: "kv-k", title: row.key }, row.key),
        ...row.values.map((v) => h("td", { title: v.length > 24 ? v : undefined }, v)),
      ),
    );
  }
  return out;
}

/** Draws the comparison page; returns its cleanup. */
export async function comparePage(
  root: HTMLElement,
  project: string,
  params: URLSearchParams,
): Promise<() => void> {
  const ids = (params.get("ids") ?? "").split(",").filter(Boolean).slice(0, MAX_COMPARED);
  const back = h("a", { href: runsHref(project) }, "back to runs");
  if (ids.length === 0) {
    root.replaceChildren(
      h("h2", null, "Compare runs"),
      h("p", { class: "muted" }, "No runs chosen: select runs in the table, then compare."),
      back,
    );
    return () => {};
  }
  const { runs, missing } = await loadRuns(project, ids);
  const rows = compareRows(runs);
  const differing = rows.filter((r) => r.differs).length;
  const table = h("table", { class: "kv compare" });
  let drawn = 0;
  /** Draws the header and the first `first` rows; the rest are returned to draw later. */
  const draw = (onlyDiff: boolean, first = Number.POSITIVE_INFINITY): HTMLElement[] => {
    drawn++;
    const body = bodyRows(rows, onlyDiff);
    table.replaceChildren(headerRow(runs), ...body.slice(0, first));
    table.dataset.complete = body.length <= first ? "1" : "0";
    return body.slice(first);
  };
  const onlyDiff = params.get("diff") === "1";
  const rest = draw(onlyDiff, FIRST_ROWS);
  root.replaceChildren(
    h("h2", null, `Compare ${runs.length} runs `, h("span", { class: "muted" }, project)),
    h(
      "div",
      { class: "toolbar" },
      back,
      h(
        "label",
        null,
        h("input", {
          type: "checkbox",
          name: "only-diff",
          checked: onlyDiff,
          onchange: (e: Event) => {
            const on = (e.target as HTMLInputElement).checked;
            if (on) params.set("diff", "1");
            else params.delete("diff");
            replaceParams(params);
            draw(on);
          },
        }),
        " only differences",
      ),
      h("span", { class: "muted", id: "diff-count" }, `${differing} of ${rows.length} differ`),
      missing.length > 0
        ? h("span", { class: "error", role: "alert" }, `not found: ${missing.join(", ")}`)
        : null,
    ),
    h("div", { class: "compare-wrap" }, table),
  );
  markPainted("amltk:compare");
  // The rows below the scroll box's fold, once the first ones are on screen (unless the
  // table was drawn again meanwhile).
  const first = drawn;
  requestAnimationFrame(() =>
    setTimeout(() => {
      if (drawn !== first) return;
      table.append(...rest);
      table.dataset.complete = "1";
    }, 0),
  );
  return () => {};
}
