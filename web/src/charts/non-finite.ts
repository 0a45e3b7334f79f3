/**
 * Markers for NaN and ±Infinity points, which a line cannot show: the server counts them per
 * bucket (`nonFinite` of a series or group series) and each bucket that has any gets a marker at
 * its x in the line's colour — +Infinity a triangle on the top edge, -Infinity one on the bottom
 * edge, NaN a diamond just above the bottom edge — and the tooltip says how many ("3 NaN").
 * The line itself is drawn from the finite values only, unchanged.
 */
import uPlot from "uplot";
import type { NonFiniteColumns } from "../api.js";

/** One bucket's non-finite counts on one line (a uPlot series index), at an aligned x index. */
export interface NonFiniteMark {
  series: number;
  xi: number;
  nan: number;
  posInf: number;
  negInf: number;
}

/** The x values the marks need on the panel's x axis (added to the alignment). */
export function markColumn(
  c: NonFiniteColumns | undefined,
  toPanelX: (xs: readonly number[]) => number[],
): { x: number[]; y: number[] } | null {
  if (!c || c.x.length === 0) return null;
  const x = toPanelX(c.x);
  return { x, y: x.map(() => Number.NaN) };
}

/** The marks of one line (`series`) from its columns, at indexes of the aligned `xs`. */
export function marksOf(
  series: number,
  c: NonFiniteColumns | undefined,
  toPanelX: (xs: readonly number[]) => number[],
  index: ReadonlyMap<number, number>,
): NonFiniteMark[] {
  if (!c) return [];
  const xs = toPanelX(c.x);
  const out: NonFiniteMark[] = [];
  for (let j = 0; j < xs.length; j++) {
    const xi = index.get(xs[j]!);
    if (xi === undefined) continue;
    out.push({
      series,
      xi,
      nan: c.nan[j] ?? 0,
      posInf: c.posInf[j] ?? 0,
      negInf: c.negInf[j] ?? 0,
    });
  }
  return out;
}

/** "3 NaN, 1 +Inf" for a mark (or the totals of several). */
export function markText(m: Pick<NonFiniteMark, "nan" | "posInf" | "negInf">): string {
  const parts: string[] = [];
  if (m.nan > 0) parts.push(`${m.nan} NaN`);
  if (m.posInf > 0) parts.push(`${m.posInf} +Inf`);
  if (m.negInf > 0) parts.push(`${m.negInf} −Inf`);
  return parts.join(", ");
}

/** The counts of all marks together. */
export function markTotals(marks: readonly NonFiniteMark[]) {
  const t = { nan: 0, posInf: 0, negInf: 0 };
  for (const m of marks) {
    t.nan += m.nan;
    t.posInf += m.posInf;
    t.negInf += m.negInf;
  }
  return t;
}

/** A filled triangle pointing up (`dir` -1) or down (1), its tip at (x, y). */
function triangle(ctx: CanvasRenderingContext2D, x: number, y: number, r: number, dir: 1 | -1) {
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x - r, y - dir * 1.6 * r);
  ctx.lineTo(x + r, y - dir * 1.6 * r);
  ctx.closePath();
  ctx.fill();
}

function diamond(ctx: CanvasRenderingContext2D, x: number, y: number, r: number) {
  ctx.beginPath();
  ctx.moveTo(x, y - r);
  ctx.lineTo(x + r, y);
  ctx.lineTo(x, y + r);
  ctx.lineTo(x - r, y);
  ctx.closePath();
  ctx.fill();
}

/**
 * Draws the marks of the lines shown onto the plot (a uPlot `draw` hook); returns how many
 * marker shapes it drew (for tests and scripts).
 */
export function drawMarks(u: uPlot, marks: readonly NonFiniteMark[]): number {
  if (marks.length === 0) return 0;
  const ctx = u.ctx;
  const r = 4 * uPlot.pxRatio;
  const { left, top, width, height } = u.bbox;
  const bottom = top + height;
  const xs = u.data[0];
  let drawn = 0;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left - r, top - r, width + 2 * r, height + 2 * r);
  ctx.clip();
  for (const m of marks) {
    const s = u.series[m.series];
    if (!s || s.show === false) continue;
    const x = u.valToPos(xs[m.xi]!, "x", true);
    if (!(x >= left - 0.5 && x <= left + width + 0.5)) continue;
    // uPlot keeps a series' stroke as a function of (plot, series index) once built.
    const stroke = typeof s.stroke === "function" ? s.stroke(u, m.series) : s.stroke;
    ctx.fillStyle = typeof stroke === "string" ? stroke : "#888";
    if (m.posInf > 0) {
      triangle(ctx, x, top, r, -1);
      drawn++;
    }
    if (m.negInf > 0) {
      triangle(ctx, x, bottom, r, 1);
      drawn++;
    }
    if (m.nan > 0) {
      diamond(ctx, x, bottom - 3 * r, r);
      drawn++;
    }
  }
  ctx.restore();
  return drawn;
}
