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

export interface BbobReportOptions {
  readonly trials: number;
  readonly seeds: number;
  readonly dims: number[];
  readonly fids: number[];
  /** Optuna processes run side by side (each problem's seeds are split among them). */
  readonly jobs: number;
  /** Ours besides TPE (e.g. CMA-ES), by name. */
  readonly extra?: Record<string, MakeOptimizer>;
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
    const theirs = live.length > 0 ? await optunaBests(live, p, o.trials, seeds, optunaMs) : [];
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
    console.error(`bbob ${p.name}: ${JSON.stringify(row)}`);
  }
  for (const s of live) s.close();
  return {
    suite: `test: BBOB f${o.fids.join(",f")} in dims ${o.dims.join(",")}, instance 3, plus bench/functions.ts's box functions; defaults were chosen on dims 2,5 instances 1,2 (bench/tune-tpe.ts)`,
    trials: o.trials,
    seeds: o.seeds,
    metric:
      "median over seeds of the best regret f(x) - f_opt (lower is better); verdicts: two-sided Mann-Whitney U at p < 0.05 against Optuna's TPESampler (defaults)",
    optuna: live[0]?.version ?? why,
    winsTiesLosses: live.length > 0 ? tally : null,
    optunaMsPerTrial: optunaMs.length > 0 ? round(median(optunaMs)) : null,
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
): Promise<number[]> {
  const out = new Array<number>(seeds.length);
  await Promise.all(
    servers.map(async (server, k) => {
      for (let i = k; i < seeds.length; i += servers.length) {
        const r = await server.run(p, trials, seeds[i]);
        out[i] = r.best;
        ms.push(r.ms);
      }
    }),
  );
  return out;
}
