/**
 * The optuna-style sweep views below the others: intermediate values per trial (pruned ones
 * marked), a contour of the metric over two numeric parameters, and, when the trials report
 * two or more metrics, the Pareto front of two of them. Their own choices (the contour's
 * parameters, the second objective and its direction) live in the address (`cx`, `cy`, `m2`,
 * `dir2`) so a view is shared with them.
 */
import type { Run } from "../api.js";
import { h } from "../element.js";
import type { ViewState } from "../pages/runs-controls.js";
import { replaceParams } from "../router.js";
import { contourPlot, numericParams } from "./contour.js";
import { intermediateValues } from "./intermediate.js";
import { type Direction, paretoChart } from "./pareto.js";

export interface ExtrasInput {
  runs: readonly Run[];
  /** Trials with a finite metric value. */
  scored: readonly { r: Run; y: number }[];
  metrics: readonly string[];
  params: readonly string[];
  metric: string;
  dir: Direction;
  width: number;
  /** Where the choices live (the runs page's view state); else the address directly. */
  view?: ViewState;
}

/** The address's hash query, read and written in place (without a page's view state). */
function addressView(): ViewState {
  const params = () => {
    const q = location.hash.indexOf("?");
    return new URLSearchParams(q < 0 ? "" : location.hash.slice(q + 1));
  };
  return {
    get: (k, d = "") => params().get(k) ?? d,
    set: (k, v) => {
      const p = params();
      if (v === null || v === "") p.delete(k);
      else p.set(k, v);
      replaceParams(p);
    },
  };
}

function choice(
  name: string,
  value: string,
  options: readonly string[],
  on: (v: string) => void,
): HTMLElement {
  return h(
    "label",
    null,
    `${name} `,
    h(
      "select",
      { name, onchange: (e: Event) => on((e.target as HTMLSelectElement).value) },
      ...options.map((o) => h("option", { value: o, selected: o === value }, o)),
    ),
  );
}

export function hpoExtras(o: ExtrasInput): HTMLElement {
  const box = h("div", { class: "hpo-extras" });
  const view = o.view ?? addressView();
  const set = (k: string, v: string) => {
    view.set(k, v);
    draw();
  };
  const draw = () => {
    const p = { get: (k: string) => view.get(k) || null };
    const half = o.width / 2 - 8;
    const numeric = numericParams(o.runs, o.params);
    const cx = numeric.includes(p.get("cx") ?? "") ? p.get("cx")! : (numeric[0] ?? "");
    const cy =
      numeric.includes(p.get("cy") ?? "") && p.get("cy") !== cx
        ? p.get("cy")!
        : (numeric.find((k) => k !== cx) ?? "");
    const second = o.metrics.filter((m) => m !== o.metric);
    const m2 = second.includes(p.get("m2") ?? "") ? p.get("m2")! : (second[0] ?? "");
    const dir2: Direction = p.get("dir2") === "max" ? "max" : "min";
    const controls = h(
      "div",
      { class: "controls" },
      numeric.length >= 2 ? choice("contour x", cx, numeric, (v) => set("cx", v)) : null,
      numeric.length >= 2 ? choice("contour y", cy, numeric, (v) => set("cy", v)) : null,
      m2 ? choice("second objective", m2, second, (v) => set("m2", v)) : null,
      m2 ? choice("its direction", dir2, ["min", "max"], (v) => set("dir2", v)) : null,
    );
    box.replaceChildren(
      controls,
      intermediateValues(o.runs, o.metric, o.width),
      h(
        "div",
        { class: "row" },
        numeric.length >= 2
          ? contourPlot(o.scored, cx, cy, o.metric, o.dir, half)
          : h("p", { class: "muted" }, "A contour needs two numeric parameters that vary."),
        m2 ? paretoChart(o.runs, o.metric, o.dir, m2, dir2, half) : null,
      ),
    );
  };
  draw();
  return box;
}
