/**
 * Optuna's TPESampler (defaults) on the TRAINING suite, for bench/tune-tpe.ts's `--vs-optuna`:
 * the issue counts Mann-Whitney wins against Optuna, so candidates are also scored that way on
 * the problems defaults may be chosen on. Same served ask/tell loop as the held-out report
 * (bench/bbob/harness.ts), cached in its own file (`optuna-training.json`, never the held-out
 * cache) under the same (Optuna version, sources, problem, trials, seed) keys.
 *
 * Fill the cache once, in the background: `PATH=/tmp/optuna-venv/bin:$PATH nice -n 15 node
 * --import tsx bench/bbob/optuna-training.ts --seeds 10 --jobs 2` (prints one JSON object);
 * `--first-seed N` (default 1000) for seeds N.. instead.
 *
 * @module
 */

import { pathToFileURL } from "node:url";
import { type BoxProblem, OptunaServer, trainingSuite } from "./harness.js";
import { benchCacheFile, OptunaCache } from "./optuna-cache.js";

/** Where Optuna's training-suite runs are kept (ignored by git; apart from the held-out cache). */
export const OPTUNA_TRAINING_CACHE = benchCacheFile("optuna-training.json");

/**
 * Optuna's best regret per problem index per seed (`seeds` order), from the cache where kept,
 * run now (split over `jobs` servers) where not; a string says why Optuna could not run.
 */
export async function optunaTrainingBests(
  problems: BoxProblem[],
  seeds: number[],
  trials: number,
  jobs: number,
  onProblem: (name: string) => void = () => {},
): Promise<Record<number, number[]> | string> {
  const cache = OptunaCache.open(OPTUNA_TRAINING_CACHE);
  const servers: OptunaServer[] = [];
  let version = "";
  const out: Record<number, number[]> = {};
  for (const [index, p] of problems.entries()) {
    const bests = new Array<number>(seeds.length);
    const missing: number[] = [];
    seeds.forEach((seed, i) => {
      const kept = version ? cache.get(version, p.name, trials, seed) : undefined;
      if (kept) bests[i] = kept.best;
      else missing.push(i);
    });
    if (missing.length > 0 && servers.length === 0) {
      const started = await Promise.all(Array.from({ length: jobs }, () => OptunaServer.start()));
      const why = started.find((s): s is string => typeof s === "string");
      if (why) return why;
      servers.push(...(started as OptunaServer[]));
      version = servers[0].version;
      // Now that the version is known, the cache may answer what it could not before.
      missing.splice(0);
      seeds.forEach((seed, i) => {
        const kept = cache.get(version, p.name, trials, seed);
        if (kept) bests[i] = kept.best;
        else missing.push(i);
      });
    }
    await Promise.all(
      servers.map(async (server, k) => {
        for (let m = k; m < missing.length; m += servers.length) {
          const i = missing[m];
          const r = await server.run(p, trials, seeds[i]);
          bests[i] = r.best;
          cache.set(version, p.name, trials, seeds[i], r);
        }
      }),
    );
    if (missing.length > 0) cache.save(); // after every problem: an interrupted fill keeps its runs
    out[index] = bests;
    onProblem(p.name);
  }
  for (const s of servers) s.close();
  return out;
}

function list(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1].split(",").map(Number) : fallback;
}

async function main(): Promise<void> {
  const [seedCount] = list("seeds", [10]);
  const [trials] = list("trials", [100]);
  const [jobs] = list("jobs", [1]);
  const fids = list(
    "fids",
    Array.from({ length: 24 }, (_, i) => i + 1),
  );
  const problems = trainingSuite(fids, list("dims", [2, 5]), list("instances", [1, 2]));
  const [firstSeed] = list("first-seed", [1000]);
  const seeds = Array.from({ length: seedCount }, (_, i) => firstSeed + i);
  const t0 = performance.now();
  const bests = await optunaTrainingBests(problems, seeds, trials, jobs, (n) =>
    console.error(`optuna training ${n}`),
  );
  console.log(
    JSON.stringify({
      cache: OPTUNA_TRAINING_CACHE,
      problems: problems.length,
      seeds,
      trials,
      filled: typeof bests !== "string",
      unavailable: typeof bests === "string" ? bests : undefined,
      seconds: Math.round((performance.now() - t0) / 1000),
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
