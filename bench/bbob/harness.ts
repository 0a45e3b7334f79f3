/**
 * The BBOB harness shared by bench/tune-tpe.ts (choosing defaults on the training suite) and
 * bench/optim.ts (reporting on the test suite): the two disjoint suites, an ask/tell loop for
 * our optimizers, the same loop for Optuna's TPESampler through `optuna_bench.py --serve`
 * (Optuna asks, this process evaluates: one implementation of each function for both sides),
 * and the two-sided Mann-Whitney U test.
 *
 * @module
 */

import { type ChildProcessByStdio, spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { float } from "../../src/optim/space/builders.js";
import { type SearchSpace, space } from "../../src/optim/space/search-space.js";
import type { Optimizer } from "../../src/optim/types.js";
import { Metric } from "../../src/trial/metric.js";
import { FUNCTIONS } from "../functions.js";
import { BBOB, bbobProblem } from "./functions.js";

/** A box-bounded problem both sides minimize; `score` is what is reported (regret). */
export interface BoxProblem {
  readonly name: string;
  readonly d: number;
  readonly low: number;
  readonly high: number;
  readonly score: (x: readonly number[]) => number;
}

const ALL_FIDS = BBOB.map((f) => f.id);

/**
 * The training suite: every function, dimensions 2 and 5, instances 1 and 2 (the only problems
 * defaults may be chosen on).
 */
export function trainingSuite(fids = ALL_FIDS, dims = [2, 5], instances = [1, 2]): BoxProblem[] {
  return fids.flatMap((fid) => dims.flatMap((d) => instances.map((i) => fromBbob(fid, d, i))));
}

/**
 * The test suite, disjoint from the training one: every function in dimensions 3 and 6,
 * instance 3, plus bench/functions.ts's box functions with one range for all coordinates (hartmann6,
 * rosenbrock4, ackley5; not BBOB, never used for tuning
 * since the defaults moved to this harness).
 */
export function testSuite(fids = ALL_FIDS, dims = [3, 6], instances = [3]): BoxProblem[] {
  const bbob = fids.flatMap((fid) =>
    dims.flatMap((d) => instances.map((i) => fromBbob(fid, d, i))),
  );
  const classic = FUNCTIONS.filter((f) =>
    f.bounds.every(([lo, hi]) => lo === f.bounds[0][0] && hi === f.bounds[0][1]),
  ).map(
    (f): BoxProblem => ({
      name: f.name,
      d: f.bounds.length,
      low: f.bounds[0][0],
      high: f.bounds[0][1],
      score: (x) => f.fn(x) - f.minimum,
    }),
  );
  return [...bbob, ...classic];
}

function fromBbob(fid: number, d: number, instance: number): BoxProblem {
  const p = bbobProblem(fid, d, instance);
  return { name: p.name, d, low: -5, high: 5, score: p.regret };
}

const metric = new Metric("y");

export function boxSpace(p: BoxProblem): SearchSpace {
  return space(
    Object.fromEntries(Array.from({ length: p.d }, (_, i) => [`x${i}`, float(p.low, p.high)])),
  );
}

export type MakeOptimizer = (s: SearchSpace, metric: Metric, seed: number) => Optimizer;

/** Best score after `trials` sequential ask/tell rounds, and the optimizer's ms per trial. */
export function runOurs(
  p: BoxProblem,
  make: MakeOptimizer,
  trials: number,
  seed: number,
): { best: number; ms: number } {
  const opt = make(boxSpace(p), metric, seed);
  let best = Number.POSITIVE_INFINITY;
  let ms = 0;
  for (let i = 0; i < trials; i++) {
    const t0 = performance.now();
    const t = opt.ask();
    ms += performance.now() - t0;
    const y = p.score(Array.from({ length: p.d }, (_, j) => t.config[`x${j}`] as number));
    best = Math.min(best, y);
    const t1 = performance.now();
    opt.tell(t.success({ y }));
    ms += performance.now() - t1;
  }
  return { best, ms: ms / trials };
}

/** Optuna's TPESampler (defaults) as a served ask/tell loop; `undefined` without optuna. */
export class OptunaServer {
  version = "";
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #lines: AsyncIterator<string>;
  readonly #rl: Interface;

  private constructor(child: ChildProcessByStdio<Writable, Readable, null>, rl: Interface) {
    this.#child = child;
    this.#rl = rl;
    this.#lines = rl[Symbol.asyncIterator]();
  }

  /** Starts the server, or says why it cannot. */
  static async start(): Promise<OptunaServer | string> {
    const probe = spawnSync("python3", ["-c", "import optuna"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0)
      return `python3 with optuna not found (pip install optuna==5.0.0): ${probe.error?.message ?? probe.stderr.trim().split("\n").pop()}`;
    const script = join(dirname(fileURLToPath(import.meta.url)), "..", "python", "optuna_bench.py");
    const child = spawn("python3", [script, "--serve"], { stdio: ["pipe", "pipe", "inherit"] });
    const rl = createInterface({ input: child.stdout });
    const server = new OptunaServer(child, rl);
    server.version = (JSON.parse(await server.#next()) as { optuna: string }).optuna;
    return server;
  }

  async #next(): Promise<string> {
    const r = await this.#lines.next();
    if (r.done) throw new Error("optuna_bench.py --serve ended early");
    return r.value;
  }

  /** Best score after `trials` trials of Optuna's TPE with `seed`, and its ms per trial. */
  async run(p: BoxProblem, trials: number, seed: number): Promise<{ best: number; ms: number }> {
    const job = { dims: p.d, low: p.low, high: p.high, trials, seed };
    this.#child.stdin.write(`${JSON.stringify(job)}\n`);
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < trials; i++) {
      const { x } = JSON.parse(await this.#next()) as { x: number[] };
      const y = p.score(x);
      best = Math.min(best, y);
      this.#child.stdin.write(`${JSON.stringify({ y })}\n`);
    }
    const done = JSON.parse(await this.#next()) as { seconds: number };
    return { best, ms: (done.seconds * 1000) / trials };
  }

  close(): void {
    this.#child.stdin.end("\n");
    this.#rl.close();
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Two-sided Mann-Whitney U test (normal approximation with tie correction and continuity
 * correction): the p-value that `a` and `b` come from the same distribution.
 */
export function mannWhitney(a: readonly number[], b: readonly number[]): number {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort(
    (x, y) => x.v - y.v,
  );
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const n1 = a.length;
  const n2 = b.length;
  let r1 = 0;
  all.forEach((x, k) => {
    if (x.g === 0) r1 += ranks[k];
  });
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const n = n1 + n2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return 1;
  const z = (Math.abs(u - mean) - 0.5) / Math.sqrt(variance);
  return Math.min(1, 2 * (1 - normalCdf(Math.max(0, z))));
}

/** Φ(z), by the Abramowitz-Stegun 7.1.26 approximation of erf (error < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** "win", "loss" or "tie" of `ours` against `theirs` (lower is better) at level `alpha`. */
export function verdict(ours: number[], theirs: number[], alpha = 0.05): "win" | "tie" | "loss" {
  if (mannWhitney(ours, theirs) >= alpha) return "tie";
  return median(ours) < median(theirs) ? "win" : "loss";
}
