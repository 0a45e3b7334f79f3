/**
 * Parallel coordinates on a canvas: one vertical axis per hyperparameter and a last axis for
 * the metric; one polyline per run, colored from best (blue) to worst (orange), so the
 * regions of the search space that pay off stand out. Categorical values get evenly spaced
 * positions; a numeric axis spanning more than two decades is drawn in log scale.
 */
import { h } from "../element.js";
import { fmt } from "../format.js";

export interface Axis {
  name: string;
  values: unknown[];
}

/**
 * A brush on one axis, in the axis' own values (so it survives new runs that move the axis'
 * ends): a numeric range, or the categories inside it.
 */
export type Brush = { range: [number, number] } | { cats: string[] };

/** Whether `v` lies inside the brush. */
export function brushHas(b: Brush, v: unknown): boolean {
  if ("cats" in b) return v !== undefined && v !== null && b.cats.includes(fmt(v));
  return typeof v === "number" && v >= b.range[0] && v <= b.range[1];
}

interface Scaled {
  name: string;
  pos: (v: unknown) => number | null;
  ticks: [number, string][];
  /** A brushed span of positions (0..1) as a brush in values, and back. */
  toBrush: (a: number, b: number) => Brush;
  span: (b: Brush) => [number, number] | null;
}

function scaleAxis(a: Axis): Scaled {
  const nums = a.values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (
    nums.length > 0 &&
    nums.length === a.values.filter((v) => v !== undefined && v !== null).length
  ) {
    let lo = Math.min(...nums);
    let hi = Math.max(...nums);
    const log = lo > 0 && hi / lo > 100;
    const f = log ? Math.log10 : (v: number) => v;
    if (lo === hi) {
      lo -= 1;
      hi += 1;
    }
    const [flo, fhi] = [f(lo), f(hi)];
    const pos = (v: unknown) =>
      typeof v === "number" && Number.isFinite(v) ? (f(v) - flo) / (fhi - flo) : null;
    const value = (p: number) => {
      const x = flo + p * (fhi - flo);
      return log ? 10 ** x : x;
    };
    return {
      name: a.name + (log ? " (log)" : ""),
      pos,
      toBrush: (p, q) => ({ range: [value(p), value(q)] }),
      span: (b) => {
        if (!("range" in b)) return null;
        const at = (v: number) => {
          const x = log ? Math.log10(Math.max(v, Number.MIN_VALUE)) : v;
          return Math.max(0, Math.min(1, (x - flo) / (fhi - flo)));
        };
        return [at(b.range[0]), at(b.range[1])];
      },
      ticks: [
        [0, fmt(lo)],
        [1, fmt(hi)],
      ],
    };
  }
  const cats = [...new Set(a.values.filter((v) => v !== undefined).map((v) => fmt(v)))].sort();
  const at = new Map(cats.map((c, i) => [c, cats.length === 1 ? 0.5 : i / (cats.length - 1)]));
  return {
    name: a.name,
    pos: (v) => (v === undefined ? null : (at.get(fmt(v)) ?? null)),
    ticks: cats.slice(0, 12).map((c) => [at.get(c)!, c]),
    toBrush: (p, q) => ({ cats: cats.filter((c) => at.get(c)! >= p && at.get(c)! <= q) }),
    span: (b) => {
      if (!("cats" in b)) return null;
      const ps = b.cats.map((c) => at.get(c)).filter((x) => x !== undefined);
      return ps.length
        ? [Math.max(0, Math.min(...ps) - 0.02), Math.min(1, Math.max(...ps) + 0.02)]
        : null;
    },
  };
}

/** Brushes by axis name, and who hears about a change. */
export interface BrushOptions {
  brushes?: ReadonlyMap<string, Brush>;
  /** A drag ended or a double click cleared: the brushes now (empty: none). */
  onBrush?: (brushes: Map<string, Brush>) => void;
}

/**
 * Draws runs across `axes`; the last axis is the metric. `quality[i]` in [0,1], 0 = best.
 * Dragging along an axis brushes a range: runs outside every brush are greyed out, and
 * `data-selected` on the returned element counts the runs left; double click clears. Brushes
 * are kept in axis values (`o.brushes`, told through `o.onBrush`), so a redraw with more runs
 * keeps them.
 */
export function parallelCoordinates(
  axes: Axis[],
  quality: number[],
  width: number,
  o: BrushOptions = {},
): HTMLElement {
  const height = 300;
  const dpr = window.devicePixelRatio || 1;
  const canvas = h("canvas", {
    width: width * dpr,
    height: height * dpr,
    style: `width:${width}px;height:${height}px;cursor:crosshair`,
  });
  const wrap = h(
    "div",
    {
      class: "parcoords",
      "data-lines": quality.length,
      "data-axes": axes.length,
      "data-selected": quality.length,
    },
    canvas,
  );
  const ctx = canvas.getContext("2d");
  if (!ctx || axes.length < 2) return wrap;
  ctx.scale(dpr, dpr);
  const pad = { l: 40, r: 60, t: 40, b: 20 };
  const scaled = axes.map(scaleAxis);
  const ax = (i: number) => pad.l + (i * (width - pad.l - pad.r)) / (axes.length - 1);
  const ay = (p: number) => height - pad.b - p * (height - pad.t - pad.b);
  const pOf = (y: number) => (height - pad.b - y) / (height - pad.t - pad.b);
  const pos = axes.map((a, k) => a.values.map((v) => scaled[k]!.pos(v)));
  /** Axis index -> its brush, in axis values. */
  const brushes = new Map<number, Brush>();
  axes.forEach((a, k) => {
    const b = o.brushes?.get(a.name);
    if (b) brushes.set(k, b);
  });
  const inBrushes = (i: number) => [...brushes].every(([k, b]) => brushHas(b, axes[k]!.values[i]));
  const tell = () => o.onBrush?.(new Map([...brushes].map(([k, b]) => [axes[k]!.name, b])));
  // Worst first, so the best runs are painted on top.
  const order = quality.map((q, i) => [q, i] as const).sort((a, b) => b[0] - a[0]);

  const line = (i: number) => {
    ctx.beginPath();
    let pen = false;
    for (let k = 0; k < axes.length; k++) {
      const p = pos[k]![i];
      if (p === null || p === undefined) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(ax(k), ay(p));
      else ctx.moveTo(ax(k), ay(p));
      pen = true;
    }
    ctx.stroke();
  };

  const draw = () => {
    ctx.clearRect(0, 0, width, height);
    ctx.lineWidth = 1.2;
    const kept = order.filter(([, i]) => inBrushes(i));
    wrap.dataset.selected = String(kept.length);
    if (brushes.size > 0) {
      ctx.strokeStyle = "rgba(160,160,160,0.15)";
      for (const [, i] of order) if (!inBrushes(i)) line(i);
    }
    for (const [q, i] of kept) {
      ctx.strokeStyle = `hsla(${210 - 180 * q}, 75%, 45%, ${0.75 - 0.45 * q})`;
      line(i);
    }
    ctx.strokeStyle = "#444";
    ctx.fillStyle = "#222";
    ctx.textAlign = "center";
    for (let k = 0; k < axes.length; k++) {
      const x = ax(k);
      ctx.beginPath();
      ctx.moveTo(x, ay(0));
      ctx.lineTo(x, ay(1));
      ctx.stroke();
      const brush = brushes.get(k);
      const b = brush ? scaled[k]!.span(brush) : null;
      if (b) {
        ctx.fillStyle = "rgba(20,99,197,0.25)";
        ctx.fillRect(x - 6, ay(b[1]), 12, ay(b[0]) - ay(b[1]));
        ctx.fillStyle = "#222";
      }
      ctx.font = "bold 11px system-ui, sans-serif";
      ctx.fillText(scaled[k]!.name, x, pad.t - 22);
      ctx.font = "11px system-ui, sans-serif";
      for (const [p, label] of scaled[k]!.ticks)
        ctx.fillText(label, x, ay(p) + (p === 0 ? 12 : -4));
    }
  };

  let drag: { k: number; y0: number; moved: boolean } | null = null;
  const local = (e: MouseEvent) => {
    const r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  canvas.addEventListener("mousedown", (e) => {
    const { x, y } = local(e);
    const k = axes.findIndex((_, i) => Math.abs(ax(i) - x) < 14);
    if (k >= 0) drag = { k, y0: y, moved: false };
  });
  canvas.addEventListener("mousemove", (e) => {
    if (!drag) return;
    const { y } = local(e);
    const a = Math.max(0, Math.min(1, pOf(drag.y0)));
    const b = Math.max(0, Math.min(1, pOf(y)));
    if (Math.abs(a - b) > 0.01) {
      brushes.set(drag.k, scaled[drag.k]!.toBrush(Math.min(a, b), Math.max(a, b)));
      drag.moved = true;
    }
    draw();
  });
  for (const end of ["mouseup", "mouseleave"]) {
    canvas.addEventListener(end, () => {
      if (drag?.moved) tell();
      drag = null;
    });
  }
  canvas.addEventListener("dblclick", () => {
    brushes.clear();
    draw();
    tell();
  });
  draw();
  return wrap;
}
