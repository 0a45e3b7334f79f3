/**
 * The runs page's actions beside its title: compare the selected runs, export the table as
 * CSV, and the project's saved views. They read the page's state through `RunsActionsHooks`
 * when clicked, so they always act on what the page shows now.
 */
import type { Run } from "../api.js";
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
    savedViewsControl(o.project),
  );
}
