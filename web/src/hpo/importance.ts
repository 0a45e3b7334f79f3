/**
 * A quick parameter importance: how strongly each hyperparameter goes with the metric.
 * Numbers use |Spearman rank correlation| (monotone effects, robust to log-scaled ranges);
 * categories use the correlation ratio η (the share of the metric's spread explained by the
 * category means). Cheap, no model; W&B shows the same kind of correlation next to its
 * random-forest importance.
 */
import { h } from "../element.js";
import { fmt } from "../format.js";

function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    // Ties share their mean rank.
    for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Correlation ratio η of a categorical x with a numeric y, in [0, 1]. */
function eta(xs: readonly string[], ys: readonly number[]): number {
  const mean = ys.reduce((s, v) => s + v, 0) / ys.length;
  const groups = new Map<string, number[]>();
  xs.forEach((x, i) => {
    const g = groups.get(x) ?? [];
    groups.set(x, g);
    g.push(ys[i]!);
  });
  let between = 0;
  for (const g of groups.values())
    between += g.length * (g.reduce((s, v) => s + v, 0) / g.length - mean) ** 2;
  const total = ys.reduce((s, v) => s + (v - mean) ** 2, 0);
  return total > 0 ? Math.sqrt(between / total) : 0;
}

/** Importance in [0, 1] per parameter; `values[p][i]` is run i's value of parameter p. */
export function importance(
  values: Map<string, unknown[]>,
  metric: readonly number[],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [p, vs] of values) {
    const keep = vs.map((_v, i) => i).filter((i) => vs[i] !== undefined && vs[i] !== null);
    if (keep.length < 3) continue;
    const y = keep.map((i) => metric[i]!);
    const numeric = keep.every((i) => typeof vs[i] === "number");
    out.set(
      p,
      numeric
        ? Math.abs(pearson(ranks(keep.map((i) => vs[i] as number)), ranks(y)))
        : eta(
            keep.map((i) => fmt(vs[i])),
            y,
          ),
    );
  }
  return new Map([...out].sort((a, b) => b[1] - a[1]));
}

/** Horizontal bars, strongest first; `data-param` rows for tests. */
export function importanceBars(imp: Map<string, number>): HTMLElement {
  return h(
    "div",
    { class: "importance" },
    ...[...imp].map(([p, v]) =>
      h(
        "div",
        { class: "imp-row", "data-param": p, "data-importance": v.toFixed(3) },
        h("span", { class: "imp-name" }, p),
        h("span", { class: "imp-bar", style: `width:${Math.round(v * 200)}px` }),
        h("span", { class: "muted" }, v.toFixed(2)),
      ),
    ),
  );
}
