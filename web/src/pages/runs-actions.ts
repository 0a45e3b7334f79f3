/**
 * The runs page's actions beside its title: compare the selected runs, export the table as
 * CSV, tag the selected runs, and the project's saved views. They read the page's state through `RunsActionsHooks`
 * when clicked, so they always act on what the page shows now.
 */
import { editRun, type Run } from "../api.js";
import { h } from "../element.js";
import { download, fileName, runsCsv } from "../export.js";
import { compareHref, MAX_COMPARED } from "./compare.js";
import { savedViewsControl } from "./views.js";

export interface RunsActionsHooks {
  project: string;
  /** The selected run ids, in selection order. */
  selected(): ReadonlySet<string>;
  /** The table's rows as shown (filtered, brushed), in order. */
  tableRuns(): readonly Run[];
  /** The table's columns as shown. */
  columns(): readonly string[];
}

/** The compare link, the CSV button and the saved views menu. */
export function runsActions(o: RunsActionsHooks): HTMLElement {
  const status = h("span", { class: "muted actions-status", role: "status" });
  return h(
    "span",
    { class: "page-actions" },
    h(
      "button",
      {
        type: "button",
        name: "compare",
        title: `the selected runs side by side (at most ${MAX_COMPARED})`,
        onclick: () => {
          location.hash = compareHref(o.project, [...o.selected()].slice(0, MAX_COMPARED));
        },
      },
      "compare",
    ),
    h(
      "button",
      {
        type: "button",
        name: "export-table",
        title: "the table's rows and columns as CSV",
        onclick: () => {
          const csv = runsCsv(o.tableRuns(), o.columns());
          download(new Blob([csv], { type: "text/csv" }), fileName(`${o.project}-runs`, "csv"));
        },
      },
      "CSV",
    ),
    h(
      "button",
      {
        type: "button",
        name: "tag-selected",
        title: "add a tag to the selected runs",
        onclick: () => void tagSelected(o, status),
      },
      "tag",
    ),
    savedViewsControl(o.project),
    status,
  );
}

/**
 * Adds a tag (asked for) to every selected run shown in the table; the table updates through
 * the live stream like any other write.
 */
async function tagSelected(o: RunsActionsHooks, status: HTMLElement): Promise<void> {
  const chosen = o.tableRuns().filter((r) => o.selected().has(r.id));
  if (chosen.length === 0) {
    status.textContent = "select runs to tag";
    return;
  }
  const tag = prompt(`Tag for ${chosen.length} selected runs`)?.trim();
  if (!tag) return;
  const todo = chosen.filter((r) => !r.tags.includes(tag));
  const done = await Promise.allSettled(todo.map((r) => editRun(r.id, { tags: [...r.tags, tag] })));
  const failed = done.filter((d) => d.status === "rejected");
  status.textContent = failed.length
    ? `tagged ${todo.length - failed.length} of ${todo.length}: ${(failed[0] as PromiseRejectedResult).reason.message}`
    : `tagged ${todo.length} runs "${tag}"`;
}
