/**
 * Chart tools beside the chart controls: a regex search over the panels (`panels` in the
 * address; panels whose key does not match are hidden, as they come and go), a logged metric
 * as x (`xkey`, e.g. `epoch`; grouped charts too, binned by the server), a y scale that
 * ignores outliers (`yclip=1`), and a scatter of two summary values across the loaded runs
 * (`sx`, `sy`, open while `scatter=1`).
 */
import type { Run } from "../api.js";
import { h } from "../element.js";
import type { ViewState } from "./runs-controls.js";
import { summaryScatter } from "./summary-scatter.js";

/** The regex of the panel search, or an error message for a bad one. */
export function panelPattern(text: string): RegExp | string | null {
  if (!text) return null;
  try {
    return new RegExp(text, "i");
  } catch (e) {
    return (e as Error).message;
  }
}

/** Hides the panels of `grid` whose key `pattern` does not match; says how many show. */
function applySearch(grid: HTMLElement, pattern: RegExp | null, count: HTMLElement): void {
  let shown = 0;
  let all = 0;
  for (const p of grid.querySelectorAll<HTMLElement>(".panel[data-key]")) {
    all++;
    const hit = !pattern || pattern.test(p.dataset.key ?? "");
    p.hidden = !hit;
    if (hit) shown++;
  }
  count.textContent = pattern ? `${shown} of ${all} panels` : "";
}

export interface ChartToolsHooks {
  /** The loaded runs (the scatter's points). */
  runs(): readonly Run[];
  /** The y scale option changed: panels are rebuilt. */
  rerender(): void;
}

/** The tools' element; `grid` is the chart grid whose panels the search filters. */
export function chartTools(v: ViewState, grid: HTMLElement, on: ChartToolsHooks): HTMLElement {
  const count = h("span", { class: "muted", id: "panel-count" });
  const error = h("span", { class: "error", role: "alert" });
  let pattern: RegExp | null = null;
  const setPattern = (text: string) => {
    const p = panelPattern(text);
    pattern = p instanceof RegExp ? p : null;
    error.textContent = typeof p === "string" ? `panel search: ${p}` : "";
    applySearch(grid, pattern, count);
  };
  // Panels are added and rebuilt as data arrives: filter each new one too.
  new MutationObserver(() => applySearch(grid, pattern, count)).observe(grid, {
    childList: true,
    subtree: true,
  });
  setPattern(v.get("panels"));
  const scatterBox = h("div", { class: "summary-scatter-box" });
  const drawScatter = () =>
    scatterBox.replaceChildren(summaryScatter(on.runs(), v, drawScatter, grid.clientWidth || 800));
  queueMicrotask(drawScatter);
  return h(
    "div",
    { class: "chart-tools" },
    h(
      "div",
      { class: "controls" },
      h(
        "label",
        null,
        "panels ",
        h("input", {
          name: "panels",
          placeholder: "regex, e.g. ^val/|loss",
          value: v.get("panels"),
          oninput: (e: Event) => {
            const text = (e.target as HTMLInputElement).value;
            v.set("panels", text);
            setPattern(text);
          },
        }),
      ),
      count,
      error,
      h(
        "label",
        { title: "a logged metric to use as x instead of the step (e.g. epoch)" },
        "x metric ",
        h("input", {
          name: "xkey",
          placeholder: "step",
          value: v.get("xkey"),
          style: "width:8em",
          onchange: (e: Event) => {
            v.set("xkey", (e.target as HTMLInputElement).value.trim());
            on.rerender();
          },
        }),
      ),
      h(
        "label",
        { title: "y range from the 2nd to the 98th percentile of the points drawn" },
        h("input", {
          type: "checkbox",
          name: "yclip",
          checked: v.get("yclip") === "1",
          onchange: (e: Event) => {
            v.set("yclip", (e.target as HTMLInputElement).checked ? "1" : null);
            on.rerender();
          },
        }),
        " ignore outliers",
      ),
    ),
    scatterBox,
  );
}
