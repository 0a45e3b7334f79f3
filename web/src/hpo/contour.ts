/**
 * Contour plot of two numeric parameters (optuna's plot_contour): the metric interpolated over
 * the plane of the two parameters (inverse-distance weighting of the trials' values, on a log
 * axis for a parameter searched on one), coloured from best to worst, with the trials as dots.
 * Drawn on a canvas; `data-points` counts the trials that have both parameters and the metric.
 */
import type { Run } from "../api.js";
import { h } from "../element.js";
import { fmt } from "../format.js";
import { pathValue } from "../run-fields.js";

const HEIGHT = 260;
const PAD = { left: 56, right: 12, top: 8, bottom: 34 };
const CELL = 6;
/** Best (dark blue) to worst (yellow): a perceptual ramp like viridis, by stops. */
const RAMP = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function rampColor(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const c = RAMP[i]!.map((a, k) => Math.round(a + (RAMP[i + 1]![k]! - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** An axis over the values: log when they are positive and span more than two decades. */
function axisOf(values: number[]): { lo: number; hi: number; log: boolean; at(v: number): number } {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const log = lo > 0 && hi / lo > 100;
  const f = (v: number) => (log ? Math.log10(v) : v);
  const span = f(hi) - f(lo) || 1;
  return { lo, hi, log, at: (v) => (f(v) - f(lo)) / span };
}

/** Numeric config keys (every present value a finite number) among `params`. */
export function numericParams(runs: readonly Run[], params: readonly string[]): string[] {
  return params.filter((p) => {
    const vs = runs
      .map((r) => pathValue(r, `config.${p}`))
      .filter((v) => v !== undefined && v !== null);
    return vs.length > 1 && vs.every((v) => typeof v === "number" && Number.isFinite(v));
  });
}

export function contourPlot(
  scored: readonly { r: Run; y: number }[],
  px: string,
  py: string,
  metric: string,
  dir: "min" | "max",
  width: number,
): HTMLElement {
  const pts = scored
    .map((s) => ({ x: pathValue(s.r, `config.${px}`), y: pathValue(s.r, `config.${py}`), v: s.y }))
    .filter(
      (p): p is { x: number; y: number; v: number } =>
        typeof p.x === "number" && typeof p.y === "number",
    );
  const title = `contour of ${metric} over ${px} × ${py}`;
  const box = h(
    "section",
    { class: "panel contour", "data-key": "contour", "data-points": pts.length },
    h("h3", null, title),
  );
  if (pts.length < 3) {
    box.append(
      h("p", { class: "muted" }, "Too few trials with both parameters for a contour (3 needed)."),
    );
    return box;
  }
  const ax = axisOf(pts.map((p) => p.x));
  const ay = axisOf(pts.map((p) => p.y));
  const vs = pts.map((p) => p.v);
  const vlo = Math.min(...vs);
  const vhi = Math.max(...vs);
  // 0 = best, 1 = worst, whichever the direction.
  const badness = (v: number) =>
    vhi === vlo ? 0 : dir === "min" ? (v - vlo) / (vhi - vlo) : (vhi - v) / (vhi - vlo);
  const canvas = h("canvas", { width, height: HEIGHT, "aria-label": title });
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const ctx = canvas.getContext("2d");
  if (ctx) {
    drawField(ctx, pts, ax, ay, badness, plotW, plotH);
    drawPoints(ctx, pts, ax, ay, plotW, plotH);
    drawAxes(ctx, ax, ay, px, py, plotW, plotH);
  }
  box.append(
    canvas,
    h("p", { class: "muted" }, `colour: ${metric}, dark = best (${dir}); dots: trials`),
  );
  return box;
}

type Axis = ReturnType<typeof axisOf>;
type Pt = { x: number; y: number; v: number };

/** The interpolated field: each cell the inverse-square-distance mean of the trials' badness. */
function drawField(
  ctx: CanvasRenderingContext2D,
  pts: Pt[],
  ax: Axis,
  ay: Axis,
  badness: (v: number) => number,
  w: number,
  hgt: number,
): void {
  const norm = pts.map((p) => ({ u: ax.at(p.x), w: ay.at(p.y), b: badness(p.v) }));
  for (let cx = 0; cx < w; cx += CELL) {
    for (let cy = 0; cy < hgt; cy += CELL) {
      const u = (cx + CELL / 2) / w;
      const t = 1 - (cy + CELL / 2) / hgt;
      let num = 0;
      let den = 0;
      for (const p of norm) {
        const d2 = (p.u - u) ** 2 + (p.w - t) ** 2 + 1e-6;
        num += p.b / d2;
        den += 1 / d2;
      }
      ctx.fillStyle = rampColor(num / den);
      ctx.fillRect(PAD.left + cx, PAD.top + cy, CELL, CELL);
    }
  }
}

function drawPoints(
  ctx: CanvasRenderingContext2D,
  pts: Pt[],
  ax: Axis,
  ay: Axis,
  w: number,
  hgt: number,
): void {
  ctx.lineWidth = 1;
  for (const p of pts) {
    ctx.beginPath();
    ctx.arc(PAD.left + ax.at(p.x) * w, PAD.top + (1 - ay.at(p.y)) * hgt, 3, 0, 2 * Math.PI);
    ctx.fillStyle = "#fff";
    ctx.strokeStyle = "#000";
    ctx.fill();
    ctx.stroke();
  }
}

function drawAxes(
  ctx: CanvasRenderingContext2D,
  ax: Axis,
  ay: Axis,
  px: string,
  py: string,
  w: number,
  hgt: number,
): void {
  ctx.fillStyle = "#333";
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "top";
  const bottom = PAD.top + hgt + 4;
  ctx.textAlign = "left";
  ctx.fillText(fmt(ax.lo), PAD.left, bottom);
  ctx.textAlign = "right";
  ctx.fillText(fmt(ax.hi), PAD.left + w, bottom);
  ctx.textAlign = "center";
  ctx.fillText(`${px}${ax.log ? " (log)" : ""}`, PAD.left + w / 2, bottom + 12);
  ctx.textAlign = "right";
  ctx.textBaseline = "bottom";
  ctx.fillText(fmt(ay.hi), PAD.left - 4, PAD.top + 12);
  ctx.textBaseline = "top";
  ctx.fillText(fmt(ay.lo), PAD.left - 4, PAD.top + hgt - 12);
  ctx.save();
  ctx.translate(12, PAD.top + hgt / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center";
  ctx.fillText(`${py}${ay.log ? " (log)" : ""}`, 0, 0);
  ctx.restore();
}
