/**
 * Test problems for bench/optim.ts (all minimized): standard box functions and two problems
 * with ints, categoricals and conditions. The same formulas and bounds are written out in
 * bench/python/optuna_bench.py for the Optuna side.
 *
 * @module
 */

import { categorical, float, int } from "../src/optim/space/builders.js";
import { type SearchSpace, space } from "../src/optim/space/search-space.js";

/** A test function with its box bounds and known minimum. */
export interface BenchFunction {
  readonly name: string;
  readonly bounds: readonly (readonly [number, number])[];
  readonly minimum: number;
  readonly fn: (x: readonly number[]) => number;
}

function branin([x1, x2]: readonly number[]): number {
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2! - b * x1! ** 2 + c * x1! - 6) ** 2 + 10 * (1 - t) * Math.cos(x1!) + 10;
}

const HART_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const HART_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
const HART_ALPHA = [1.0, 1.2, 3.0, 3.2];

function hartmann6(x: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += HART_A[i]![j]! * (x[j]! - HART_P[i]![j]! * 1e-4) ** 2;
    total -= HART_ALPHA[i]! * Math.exp(-inner);
  }
  return total;
}

function rosenbrock(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++)
    s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
  return s;
}

function ackley(x: readonly number[]): number {
  const d = x.length;
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    s1 += v * v;
    s2 += Math.cos(2 * Math.PI * v);
  }
  return -20 * Math.exp(-0.2 * Math.sqrt(s1 / d)) - Math.exp(s2 / d) + 20 + Math.E;
}

/** Branin (2-d), Hartmann6 (6-d), Rosenbrock (4-d), Ackley (5-d). */
export const FUNCTIONS: readonly BenchFunction[] = [
  {
    name: "branin",
    bounds: [
      [-5, 10],
      [0, 15],
    ],
    minimum: 0.397887,
    fn: branin,
  },
  { name: "hartmann6", bounds: Array(6).fill([0, 1]), minimum: -3.32237, fn: hartmann6 },
  { name: "rosenbrock4", bounds: Array(4).fill([-5, 10]), minimum: 0, fn: rosenbrock },
  { name: "ackley5", bounds: Array(5).fill([-32.768, 32.768]), minimum: 0, fn: ackley },
];

/**
 * Problems with the parameter kinds the box functions lack: a mixed space (ints, one on a log
 * scale, a categorical, floats) and a conditional one (each model has its own parameters).
 * Mirrored in bench/python/optuna_bench.py (`mixed`, `conditional`).
 */
export interface BenchProblem {
  readonly name: string;
  readonly space: () => SearchSpace;
  readonly fn: (config: Record<string, unknown>) => number;
}

export const PROBLEMS: readonly BenchProblem[] = [
  {
    name: "mixed",
    space: () =>
      space({
        units: int(1, 500, { log: true }),
        batch: int(0, 100),
        layers: int(1, 4),
        dropout: float(0, 1),
        act: categorical(["relu", "tanh", "gelu"]),
        lr: float(1e-4, 1, { log: true }),
      }),
    fn: (c) =>
      Math.log((c.units as number) / 50) ** 2 +
      (((c.batch as number) - 30) / 100) ** 2 +
      ((c.layers as number) - 2) ** 2 +
      ((c.dropout as number) - 0.3) ** 2 +
      (c.act === "tanh" ? 0 : 1) +
      Math.log10((c.lr as number) / 1e-2) ** 2,
  },
  {
    name: "conditional",
    space: () =>
      space({
        model: categorical(["a", "b", "c"]),
        xa: float(-5, 5, { when: { model: "a" } }),
        ya: float(-5, 5, { when: { model: "a" } }),
        kb: int(1, 20, { when: { model: "b" } }),
        zb: float(1e-3, 10, { log: true, when: { model: "b" } }),
        wc: float(0, 1, { when: { model: "c" } }),
      }),
    fn: (c) => {
      if (c.model === "a") return 1 + ((c.xa as number) - 1) ** 2 + ((c.ya as number) + 1) ** 2;
      if (c.model === "b")
        return ((c.kb as number) - 7) ** 2 / 10 + Math.log10(c.zb as number) ** 2;
      return 2 + (c.wc as number);
    },
  },
];

/** A multi-objective test problem (all minimized), scored by the hypervolume of the front found. */
export interface BenchMultiObjective {
  readonly name: string;
  readonly dims: number;
  /** Hypervolume reference point (loss space), one value per objective. */
  readonly reference: readonly number[];
  /** Hypervolume of the true Pareto front for that reference: the best a run can reach. */
  readonly bestHypervolume: number;
  readonly fn: (x: readonly number[]) => number[];
}

/**
 * ZDT1 (Zitzler, Deb, Thiele 2000) in 6 dimensions on [0, 1], 2 objectives: a convex front
 * f2 = 1 − √f1 where x1..x5 = 0. Mirrored in bench/python/optuna_bench.py (`zdt1`).
 */
export const ZDT1: BenchMultiObjective = {
  name: "zdt1",
  dims: 6,
  reference: [1.1, 11],
  // ∫₀¹ (11 − (1 − √f1)) df1 + 0.1 · 11
  bestHypervolume: 1.1 * 11 - 1 / 3,
  fn: (x) => {
    let s = 0;
    for (let i = 1; i < x.length; i++) s += x[i]!;
    const g = 1 + (9 * s) / (x.length - 1);
    return [x[0]!, g * (1 - Math.sqrt(x[0]! / g))];
  },
};

/**
 * DTLZ2 (Deb, Thiele, Laumanns, Zitzler 2002) in 6 dimensions on [0, 1], 3 objectives: the
 * front is the unit sphere's positive octant, where x2..x5 = 0.5. Mirrored in
 * bench/python/optuna_bench.py (`dtlz2`).
 */
export const DTLZ2: BenchMultiObjective = {
  name: "dtlz2",
  dims: 6,
  reference: [1.5, 1.5, 1.5],
  // The reference box minus the octant of the unit ball.
  bestHypervolume: 1.5 ** 3 - Math.PI / 6,
  fn: (x) => {
    let g = 0;
    for (let i = 2; i < x.length; i++) g += (x[i]! - 0.5) ** 2;
    const u = (x[0]! * Math.PI) / 2;
    const v = (x[1]! * Math.PI) / 2;
    return [
      (1 + g) * Math.cos(u) * Math.cos(v),
      (1 + g) * Math.cos(u) * Math.sin(v),
      (1 + g) * Math.sin(u),
    ];
  },
};

/** The multi-objective problems of bench/optim.ts. */
export const MULTI_OBJECTIVE: readonly BenchMultiObjective[] = [ZDT1, DTLZ2];
