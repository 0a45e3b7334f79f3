/**
 * A scatter of two summary values across the loaded runs (one point per run with both), the
 * keys chosen in the address (`sx`, `sy`; default the first two numeric summary keys), open
 * while `scatter=1`.
 * `data-points` counts the runs drawn.
 */
import type { Run } from "../api.js";
import { xNumberAxis, yAxis } from "../charts/axis.js";
import { h } from "../element.js";
import { sweepChart } from "../hpo/sweep-chart.js";
import { metricKeys } from "../hpo/view.js";
import { pathValue } from "../run-fields.js";
import type { ViewState } from "./runs-controls.js";

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

export function summaryScatter(
  runs: readonly Run[],
  v: ViewState,
  redraw: () => void,
  width: number,
): HTMLElement {
  const keys = metricKeys(runs);
  if (keys.length < 2) return h("span");
  const sx = keys.includes(v.get("sx")) ? v.get("sx") : keys[0]!;
  const sy = keys.includes(v.get("sy")) ? v.get("sy") : keys.find((k) => k !== sx)!;
  const pick = (name: string, value: string) =>
    h(
      "select",
      {
        name,
        onchange: (e: Event) => {
          v.set(name, (e.target as HTMLSelectElement).value);
          redraw();
        },
      },
      ...keys.map((k) => h("option", { value: k, selected: k === value }, k)),
    );
  // Drawn only while open: a closed scatter costs the charts page nothing.
  const open = v.get("scatter") === "1";
  const details = h(
    "details",
    { class: "summary-scatter-details", open },
    h("summary", null, "summary scatter across runs"),
    h("div", { class: "controls" }, "x ", pick("sx", sx), " y ", pick("sy", sy)),
    open ? scatterChart(runs, sx, sy, width) : null,
  );
  details.addEventListener("toggle", () => {
    if (details.open === open) return;
    v.set("scatter", details.open ? "1" : null);
    redraw();
  });
  return details;
}

function scatterChart(runs: readonly Run[], sx: string, sy: string, width: number): HTMLElement {
  const pts = runs
    .map((r) => [pathValue(r, `summary.${sx}`), pathValue(r, `summary.${sy}`)] as const)
    .filter((p): p is readonly [number, number] => finite(p[0]) && finite(p[1]))
    .sort((a, b) => a[0] - b[0]);
  return sweepChart(
    `summary: ${sy} vs ${sx}`,
    {
      scales: { x: { time: false } },
      axes: [xNumberAxis(), yAxis()],
      series: [
        { label: sx },
        {
          label: sy,
          stroke: "#1f77b4",
          paths: () => null,
          points: { show: true, size: 5, fill: "#1f77b4" },
        },
      ],
    },
    [pts.map((p) => p[0]), pts.map((p) => p[1])],
    Math.min(width, 640),
    { "data-points": pts.length, class: "panel summary-scatter" },
  );
}
