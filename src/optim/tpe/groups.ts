/**
 * How TPE cuts a search space into groups sampled jointly, and how a group's values become
 * estimator rows (and back).
 *
 * Parameters with the same activation condition (same parent, same parent values) are always
 * active together, so they form one group and get joint (multivariate) kernels; a group's
 * estimators only see the trials where the group was active — the "tree" of the Tree-structured
 * Parzen Estimator. Constants are not sampled and belong to no group.
 *
 * @module
 */

import { isDiscrete, type SearchSpace } from "../space/index.js";
import type { Choice, Condition, Config, Param } from "../types.js";
import type { Dim } from "./parzen.js";

/** Parameters sampled together. */
export interface Group {
  /** Shared condition of the members (`undefined`: always active). */
  readonly condition: Condition | undefined;
  readonly params: readonly Param[];
  /** The members' positions in the space's parameter order (row layout of observations). */
  readonly slots: readonly number[];
  readonly dims: readonly Dim[];
}

function dimOf(p: Param): Dim {
  const d = p.dist;
  if (d.type === "categorical") return { kind: "categorical", n: d.choices.length };
  if (isDiscrete(d)) return { kind: "discrete" };
  return { kind: "float" };
}

function conditionKey(c: Condition | undefined): string {
  if (!c) return "";
  return JSON.stringify([c.parent, [...c.values].map((v) => JSON.stringify(v)).sort()]);
}

/**
 * The groups of a space, in an order where a group's parent is decided before the group:
 * joint groups by shared condition (`multivariate`), else one group per parameter.
 */
export function groupsOf(space: SearchSpace, multivariate: boolean): Group[] {
  const byKey = new Map<string, { condition: Condition | undefined; members: number[] }>();
  const out: { condition: Condition | undefined; members: number[] }[] = [];
  space.params.forEach((p, slot) => {
    if (p.dist.type === "constant") return;
    const key = multivariate ? conditionKey(p.condition) : `#${slot}`;
    let g = byKey.get(key);
    if (!g) {
      g = { condition: p.condition, members: [] };
      byKey.set(key, g);
      out.push(g);
    }
    g.members.push(slot);
  });
  // A group's first member comes after its parent in the space's order, so ordering groups
  // by first member keeps parents first.
  return out.map((g) => ({
    condition: g.condition,
    params: g.members.map((s) => space.params[s] as Param),
    slots: g.members,
    dims: g.members.map((s) => dimOf(space.params[s] as Param)),
  }));
}

/** Whether a group's condition holds in a (partial, parents-first) config. */
export function groupActive(group: Group, config: Readonly<Config>): boolean {
  const c = group.condition;
  return !c || (Object.hasOwn(config, c.parent) && c.values.includes(config[c.parent] as Choice));
}

/**
 * A config as one row per space parameter: unit value (numeric), choice index (categorical),
 * NaN when absent or constant.
 */
export function encode(space: SearchSpace, config: Readonly<Config>): Float64Array {
  const row = new Float64Array(space.params.length).fill(Number.NaN);
  space.params.forEach((p, i) => {
    if (!Object.hasOwn(config, p.name) || p.dist.type === "constant") return;
    const v = config[p.name] as Choice;
    row[i] = p.dist.type === "categorical" ? p.dist.choices.indexOf(v) : space.toUnit(p, v);
  });
  return row;
}

/**
 * Snaps a group's sampled point (in place) to values the space can produce, writes the cells
 * of discrete values into `lo`/`hi`, and returns the values.
 */
export function snap(
  space: SearchSpace,
  group: Group,
  point: Float64Array,
  offset: number,
  lo: Float64Array,
  hi: Float64Array,
): Choice[] {
  return group.params.map((p, j) => {
    const at = offset + j;
    const d = p.dist;
    if (d.type === "categorical") return d.choices[point[at] as number] as Choice;
    const value = space.fromUnit(p, point[at] as number) as number;
    point[at] = space.toUnit(p, value);
    if (isDiscrete(d)) {
      const scale = cellScaleOf(d as DiscreteDist);
      lo[at] = cellEdge(scale, value - scale.pad);
      hi[at] = cellEdge(scale, value + scale.pad);
    }
    return value;
  });
}

type DiscreteDist = { low: number; high: number; log: boolean; step?: number };

/** A discrete distribution's cell geometry: half a step, and its padded range's start and span. */
interface CellScale {
  readonly pad: number;
  readonly log: boolean;
  readonly lo: number;
  readonly span: number;
}

/**
 * Cell geometry by distribution, computed once: every candidate's snap needed it, two logs
 * each on a log scale (bench/optim.ts's mixed-space `timing`).
 */
const cellScales = new WeakMap<object, CellScale>();

function cellScaleOf(d: DiscreteDist): CellScale {
  let scale = cellScales.get(d);
  if (scale === undefined) {
    const pad = (d.step ?? 1) / 2;
    const lo = d.log ? Math.log(d.low - pad) : d.low - pad;
    const span = (d.log ? Math.log(d.high + pad) : d.high + pad) - lo;
    scale = { pad, log: d.log, lo, span };
    cellScales.set(d, scale);
  }
  return scale;
}

/**
 * An edge of the [0, 1] interval a discrete value owns (half a step each side, log-aware like
 * toUnit): `x` is the value ± half a step.
 */
function cellEdge(scale: CellScale, x: number): number {
  return ((scale.log ? Math.log(x) : x) - scale.lo) / scale.span;
}
