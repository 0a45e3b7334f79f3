/**
 * How runs are grouped: by `group`, by `tags` (a run with several tags is in each), or by a
 * config/summary value, with a numeric value of many distinct values binned into ranges. The
 * server's group aggregates (`group-series.ts`) and the dashboard's table group rows both use
 * this one function, so a group's label and count are the same in the table and the chart
 * legend. Pure: it imports nothing, so the dashboard bundles it.
 */

/** What grouping reads of a run. */
export interface GroupableRun {
  id: string;
  group: string | null;
  tags: readonly string[];
  config: unknown;
  summary: unknown;
}

/** A group: its label (as shown), and the runs in it in their given order. */
export type RunGroups<R> = Map<string, R[]>;

/** A numeric key with more distinct values than this is binned. */
const MAX_DISTINCT = 8;
/** Bins of a binned numeric key. */
const BINS = 6;

/**
 * Reads `config.a.b` / `summary.cost` / `name` from a run-like object, own keys only (a
 * config may hold `__proto__` as data). A config key may itself contain dots (W&B flattens
 * nested config), so the whole tail is tried first.
 *
 * @example
 * ```ts
 * pathValue({ config: { schedule: { kind: "cosine" } } }, "config.schedule.kind"); // "cosine"
 * ```
 */
export function pathValue(obj: object, path: string): unknown {
  const [head, ...rest] = path.split(".");
  const own = (o: unknown, k: string) =>
    o && typeof o === "object" && Object.hasOwn(o, k)
      ? (o as Record<string, unknown>)[k]
      : undefined;
  let v: unknown = own(obj, head!);
  if (rest.length === 0) return v;
  const tail = rest.join(".");
  if (v && typeof v === "object" && Object.hasOwn(v, tail)) return own(v, tail);
  for (const p of rest) {
    if (!v || typeof v !== "object") return undefined;
    v = own(v, p);
  }
  return v;
}

/** A short number for a label: 3 significant digits, exponent form for tiny and huge. */
function short(v: number): string {
  const a = Math.abs(v);
  const r = +v.toPrecision(3);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? r.toExponential().replace("e+", "e") : String(r);
}

/** A value as a label part: strings as they are, other values as JSON. */
function text(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" ? short(v) : JSON.stringify(v);
}

/** Bin edges for numeric values: log-spaced over positive values spanning 100x, else linear. */
function binEdges(values: readonly number[]): number[] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const log = lo > 0 && hi / lo >= 100;
  const a = log ? Math.log10(lo) : lo;
  const b = log ? Math.log10(hi) : hi;
  const edges: number[] = [];
  for (let i = 0; i <= BINS; i++) {
    const e = a + ((b - a) * i) / BINS;
    edges.push(log ? 10 ** e : e);
  }
  edges[0] = lo;
  edges[BINS] = hi;
  return edges;
}

function binOf(v: number, edges: readonly number[]): number {
  for (let i = 1; i < edges.length - 1; i++) if (v < edges[i]!) return i - 1;
  return edges.length - 2;
}

/** A group under construction: its label, its order, its runs. */
interface Slot<R> {
  label: string;
  /** 0: a number (ordered by `num`), 1: text (natural order), 2: runs without a value. */
  kind: 0 | 1 | 2;
  num: number;
  runs: R[];
}

/**
 * Groups runs by `group`, `tags` or a `config.`/`summary.` path. Groups are ordered: numbers
 * (and bins) ascending, then text in natural order (2 before 10), then runs without a value.
 * A numeric key with more than 8 distinct values is binned into 6 ranges (log-spaced when all
 * values are positive and span 100x), labelled `lr ∈ [0.001, 0.01)`.
 *
 * @example
 * ```ts
 * const g = groupRuns(runs, "config.optimizer"); // Map { "optimizer=adam" => [...], ... }
 * ```
 */
export function groupRuns<R extends GroupableRun>(runs: readonly R[], by: string): RunGroups<R> {
  const slots = new Map<string, Slot<R>>();
  const add = (label: string, kind: Slot<R>["kind"], num: number, r: R) => {
    let s = slots.get(label);
    if (!s) {
      s = { label, kind, num, runs: [] };
      slots.set(label, s);
    }
    s.runs.push(r);
  };
  if (by === "tags") {
    for (const r of runs) {
      if (r.tags.length === 0) add("(no tags)", 2, 0, r);
      for (const t of r.tags) add(t, 1, 0, r);
    }
  } else {
    const name = by.replace(/^(config|summary)\./, "");
    const values = runs.map((r) => (by === "group" ? r.group : pathValue(r, by)));
    const nums = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    const binned = nums.length === values.filter((v) => v !== null && v !== undefined).length;
    const edges = binned && new Set(nums).size > MAX_DISTINCT ? binEdges(nums) : null;
    runs.forEach((r, i) => {
      const v = values[i];
      if (v === null || v === undefined) add(`(no ${name})`, 2, 0, r);
      else if (edges && typeof v === "number") {
        const b = binOf(v, edges);
        const close = b === BINS - 1 ? "]" : ")";
        add(`${name} ∈ [${short(edges[b]!)}, ${short(edges[b + 1]!)}${close}`, 0, b, r);
      } else if (by === "group") add(text(v), typeof v === "number" ? 0 : 1, Number(v), r);
      else add(`${name}=${text(v)}`, typeof v === "number" ? 0 : 1, Number(v), r);
    });
  }
  const order = [...slots.values()].sort(
    (a, b) =>
      a.kind - b.kind ||
      (a.kind === 0 ? a.num - b.num : 0) ||
      a.label.localeCompare(b.label, undefined, { numeric: true }),
  );
  return new Map(order.map((s) => [s.label, s.runs]));
}
