/**
 * Axis labels for the chart panels: the fewest significant digits that keep every tick's label
 * distinct, SI suffixes for large values (`100k`, `1.5M`), scientific form for small ones
 * (`3e-4`), and a gutter as wide as the widest label (uPlot's default is a 3-decimal label in a
 * fixed 56 px gutter: 1e-5..3e-4 read "0 0 0 0" and 1e8 was clipped).
 */
import type uPlot from "uplot";

const SI: [number, string][] = [
  [1e12, "T"],
  [1e9, "G"],
  [1e6, "M"],
  [1e3, "k"],
];

/** Trims `1.50` to `1.5` and `2.0e-4` to `2e-4`. */
function trim(s: string): string {
  return s.replace(/\.?0+(?=e|$)/, "").replace("e+", "e");
}

/** One label with `digits` significant digits; `scale` is the largest magnitude on the axis. */
export function axisLabel(v: number, digits: number, scale: number): string {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return String(v);
  if (scale >= 1e4) {
    for (const [f, suffix] of SI) {
      if (scale >= f) return `${+(v / f).toPrecision(digits)}${suffix}`;
    }
  }
  if (scale < 1e-3) return trim(v.toExponential(Math.max(0, digits - 1)));
  return String(+v.toPrecision(digits));
}

/**
 * Labels for tick values: the fewest significant digits (at least 2, at most 8) at which every
 * label differs from its neighbours.
 *
 * @example
 * ```ts
 * axisLabels([1e-5, 1e-4, 2e-4, 3e-4]); // ["1e-5", "1e-4", "2e-4", "3e-4"]
 * ```
 */
export function axisLabels(values: readonly number[]): string[] {
  let scale = 0;
  for (const v of values) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  // Digits needed to tell ticks apart: how many digits of the scale the tick spacing reaches.
  let best: string[] = [];
  for (let digits = 1; digits <= 8; digits++) {
    best = values.map((v) => axisLabel(v, digits, scale));
    if (new Set(best).size === best.length) break;
  }
  return best;
}

let measure: CanvasRenderingContext2D | null = null;

/** Width in CSS px of `text` in uPlot's axis font. */
function textWidth(text: string, font: string): number {
  measure ??= document.createElement("canvas").getContext("2d");
  if (!measure) return text.length * 7;
  measure.font = font;
  return measure.measureText(text).width;
}

/** uPlot's default axis font (its `font` option, in CSS px). */
const AXIS_FONT = "12px system-ui, -apple-system, sans-serif";

/**
 * A y axis whose labels are `axisLabels` and whose gutter fits the widest of them. `onLabels`
 * sees the labels drawn (the panel exposes them to tests as `data-y-labels`).
 */
export function yAxis(onLabels?: (labels: string[], size: number) => void): uPlot.Axis {
  let last: string[] = [];
  return {
    font: AXIS_FONT,
    values: (_u, splits) => {
      last = axisLabels(splits);
      return last;
    },
    size: (_u, values) => {
      const labels = values ?? last;
      let w = 0;
      for (const l of labels) w = Math.max(w, textWidth(String(l), AXIS_FONT));
      // Tick (10) + gap (4) + label + a little air on the canvas' left edge.
      const size = Math.ceil(w) + 18;
      onLabels?.(labels.map(String), size);
      return size;
    },
  };
}

/** An x axis of numbers (steps, seconds) labelled like the y axis. */
export function xNumberAxis(): uPlot.Axis {
  return { font: AXIS_FONT, size: 30, values: (_u, splits) => axisLabels(splits) };
}
