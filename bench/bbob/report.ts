/**
 * bench/optim.ts's held-out section: on the BBOB test suite (dimensions and instances the
 * defaults were not chosen on) plus bench/functions.ts's box functions, our optimizers with
 * their defaults against Optuna's TPESampler with its defaults, the same ask/tell loop, budget
 * and seeds on both sides. Per problem: the median best regret of each, and the Mann-Whitney
 * verdict (win / tie / loss at p < 0.05) of each of ours against Optuna's TPE.
 *
 * @module
 */

import { RandomSearch } from "../../src/optim/random.js";
import { TPE } from "../../src/optim/tpe/index.js";
import {
  type BoxProblem,
  type MakeOptimizer,
  median,
  OptunaServer,
  runOurs,
  testSuite,
  verdict,
} from "./harness.js";
import type { OptunaCache } from "./optuna-cache.js";

export interface BbobReportOptions {
  readonly trials: number;
  readonly seeds: number;
  readonly dims: number[];
  readonly fids: number[];
  /** Optuna processes run side by side (each problem's seeds are split among them). */
  readonly jobs: number;
  /** Ours besides TPE (e.g. CMA-ES), by name. */
  readonly extra?: Record<string, MakeOptimizer>;
  /** Optuna's runs kept from earlier invocations (bench/bbob/optuna-cache.ts); none: all fresh. */
  readonly cache?: OptunaCache;
}

const round = (x: number) => Number(x.toPrecision(4));

/** Runs the held-out comparison; resolves to the JSON section bench/optim.ts prints. */
export async function bbobReport(o: BbobReportOptions): Promise<Record<string, unknown>> {
  const ours: Record<string, MakeOptimizer> = {
    tpe: (space, metrics, seed) => new TPE({ space, metrics, seed }),
    ...o.extra,
    randomSearch: (space, metrics, seed) => new RandomSearch({ space, metrics, seed }),
  };
  const problems = testSuite(o.fids, o.dims);
  const seeds = Array.from({ length: o.seeds }, (_, i) => i);
  const servers = await Promise.all(Array.from({ length: o.jobs }, () => OptunaServer.start()));
  const live = servers.filter((s): s is OptunaServer => typeof s !== "string");
  const why = servers.find((s): s is string => typeof s === "string");
  const perProblem: Record<string, Record<string, unknown>> = {};
  const tally: Record<string, { win: number; tie: number; loss: number }> = {};
  for (const name of Object.keys(ours)) tally[name] = { win: 0, tie: 0, loss: 0 };
  const optunaMs: number[] = [];
  for (const p of problems) {
    const theirs =
      live.length > 0 ? await optunaBests(live, p, o.trials, seeds, optunaMs, o.cache) : [];
    const row: Record<string, unknown> = {};
    if (theirs.length > 0) row.optunaTpe = round(median(theirs));
    for (const [name, make] of Object.entries(ours)) {
      const bests = seeds.map((seed) => runOurs(p, make, o.trials, seed).best);
      row[name] = round(median(bests));
      if (theirs.length > 0) {
        const v = verdict(bests, theirs);
        row[`${name}VsOptuna`] = v;
        tally[name][v]++;
      }
    }
    perProblem[p.name] = row;
    o.cache?.save(); // after every problem, so an interrupted run keeps what it paid for
    console.error(`bbob ${p.name}: ${JSON.stringify(row)}`);
  }
  for (const s of live) s.close();
  o.cache?.save();
  return {
    suite: `test: BBOB f${o.fids.join(",f")} in dims ${o.dims.join(",")}, instance 3, plus bench/functions.ts's box functions; defaults were chosen on dims 2,5 instances 1,2 (bench/tune-tpe.ts)`,
    trials: o.trials,
    seeds: o.seeds,
    metric:
      "median over seeds of the best regret f(x) - f_opt (lower is better); verdicts: two-sided Mann-Whitney U at p < 0.05 against Optuna's TPESampler (defaults)",
    optuna: live[0]?.version ?? why,
    winsTiesLosses: live.length > 0 ? tally : null,
    optunaMsPerTrial: optunaMs.length > 0 ? round(median(optunaMs)) : null,
    optunaCache: o.cache
      ? {
          file: o.cache.path,
          reused: o.cache.hits,
          ran: o.cache.added,
          note: "Optuna's runs are deterministic per (Optuna version, problem sources, problem, trials, seed); reused runs (and their ms per trial) come from an earlier invocation",
        }
      : "off: every Optuna run made now",
    problems: perProblem,
  };
}

/** Optuna's bests on `p` for every seed, the seeds split across the servers. */
async function optunaBests(
  servers: OptunaServer[],
  p: BoxProblem,
  trials: number,
  seeds: number[],
  ms: number[],
  cache: OptunaCache | undefined,
): Promise<number[]> {
  const version = servers[0].version;
  const out = new Array<number>(seeds.length);
  const missing: number[] = [];
  seeds.forEach((seed, i) => {
    const kept = cache?.get(version, p.name, trials, seed);
    if (kept) {
      out[i] = kept.best;
      ms.push(kept.ms);
    } else missing.push(i);
  });
  await Promise.all(
    servers.map(async (server, k) => {
      for (let m = k; m < missing.length; m += servers.length) {
        const i = missing[m];
        const r = await server.run(p, trials, seeds[i]);
        out[i] = r.best;
        ms.push(r.ms);
        cache?.set(version, p.name, trials, seeds[i], r);
      }
    }),
  );
  return out;
}
