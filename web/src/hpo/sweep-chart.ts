/** A small uPlot panel of the sweep views, built once its box is in the page. */
import uPlot from "uplot";
import { h } from "../element.js";

export function sweepChart(
  title: string,
  opts: Omit<uPlot.Options, "width" | "height">,
  data: uPlot.AlignedData,
  width: number,
  attrs: Record<string, string | number> = {},
): HTMLElement {
  const box = h("section", { class: "panel", "data-key": title, ...attrs }, h("h3", null, title));
  queueMicrotask(
    () => new uPlot({ ...opts, width, height: 260, legend: { show: false } }, data, box),
  );
  return box;
}
