/**
 * TPE quality and speed, side by side with Optuna's TPESampler: median best value after 100
 * trials over 20 seeds on Branin, Hartmann6, Rosenbrock (4-d) and Ackley (5-d) (plus a mixed
 * int/categorical and a conditional problem), and the time per trial over 1,000 trials of
 * Hartmann6 (6-d), fastest of 3 runs. Multi-objective: the median hypervolume of the front
 * found on ZDT1 (6-d, 2 objectives) and DTLZ2 (6-d, 3 objectives) after 200 trials over 10
 * seeds, by our TPE (MOTPE), our NSGA-II, random search, and Optuna's TPESampler and
 * NSGAIISampler (defaults).
 *
 * Run: `node --import tsx bench/optim.ts [--trials 100] [--seeds 20] [--timing-trials 1000]
 * [--timing-repeats 3] [--timing-only] [--mo-trials 200] [--mo-seeds 10] [--no-optuna] [--no-bbob]
 * [--bbob-seeds 15] [--bbob-trials 100] [--bbob-dims 3,6] [--bbob-fids 1,...,24] [--bbob-jobs 1]
 * [--optuna-cache FILE | --no-optuna-cache]`;
 * prints JSON. `heldOut` is the honest comparison (bench/bbob/report.ts): BBOB test problems
 * the defaults were not chosen on (bench/tune-tpe.ts chose them on the training suite), with
 * Mann-Whitney wins/ties/losses against Optuna's TPE (bench/python/optuna_bench.py, when
 * `python3 -c "import optuna"` works). Optuna's side costs ~1.7 s per 100-trial run (~22 min
 * in all); its runs are cached (bench/bbob/optuna-cache.ts, default
 * node_modules/.cache/amltk-bench/optuna-heldout.json; `--no-optuna-cache` runs all).
 * `--timing-only` prints the `timing` block alone (and the load average), in ~10 s.
 */
import { spawn, spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CmaEs } from "../src/optim/cmaes/index.js";
import { NSGA2 } from "../src/optim/nsga2/index.js";
import { lossesOf, paretoFront } from "../src/optim/pareto.js";
import { RandomSearch } from "../src/optim/random.js";
import { float } from "../src/optim/space/builders.js";
import { type SearchSpace, space } from "../src/optim/space/search-space.js";
import { TPE, type TPEOptions } from "../src/optim/tpe/index.js";
import { hypervolume } from "../src/optim/tpe/motpe.js";
import type { Optimizer } from "../src/optim/types.js";
import { Metric } from "../src/trial/metric.js";
import type { MakeOptimizer } from "./bbob/harness.js";
import { DEFAULT_OPTUNA_CACHE, OptunaCache } from "./bbob/optuna-cache.js";
import { bbobReport } from "./bbob/report.js";
import {
  type BenchFunction,
  type BenchMultiObjective,
  type BenchProblem,
  FUNCTIONS,
  MULTI_OBJECTIVE,
  PROBLEMS,
} from "./functions.js";

const metric = new Metric("y");

function spaceOf(f: BenchFunction): SearchSpace {
  return space(Object.fromEntries(f.bounds.map(([lo, hi], i) => [`x${i}`, float(lo, hi)])));
}

/** Best value after `trials` sequential ask/tell rounds. */
function bestOf(opt: Optimizer, f: BenchFunction, trials: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < trials; i++) {
    const t = opt.ask();
    const y = f.fn(f.bounds.map((_, j) => t.config[`x${j}`] as number));
    best = Math.min(best, y);
    opt.tell(t.success({ y }));
  }
  return best;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x: number) => Number(x.toPrecision(6));

type Make = (s: SearchSpace, seed: number) => Optimizer;
const tpe =
  (extra: Partial<TPEOptions> = {}): Make =>
  (s, seed) =>
    new TPE({ space: s, metrics: metric, seed, ...extra });

function medians(make: Make, trials: number, seeds: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of FUNCTIONS) {
    const bests = Array.from({ length: seeds }, (_, seed) =>
      bestOf(make(spaceOf(f), seed), f, trials),
    );
    out[f.name] = round(median(bests));
  }
  return out;
}

interface Timing {
  msPerTrial: number;
  cpuMsPerTrial: number;
  msPerTrialLastTenth: number;
}

/**
 * ms per trial (ask + tell) over `n` trials: wall-clock, CPU time of this process (steadier on
 * a shared machine), and wall-clock over the last tenth (does it grow with the history?).
 */
function timing(n: number, s: SearchSpace, fn: (c: Record<string, unknown>) => number): Timing {
  const opt = new TPE({ space: s, metrics: metric, seed: 0 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let tLast = t0;
  for (let i = 0; i < n; i++) {
    if (i === n - Math.floor(n / 10)) tLast = performance.now();
    const t = opt.ask();
    opt.tell(t.success({ y: fn(t.config) }));
  }
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  return {
    msPerTrial: round((t1 - t0) / n),
    cpuMsPerTrial: round((cpu.user + cpu.system) / 1000 / n),
    msPerTrialLastTenth: round((t1 - tLast) / Math.floor(n / 10)),
  };
}

/**
 * TPE's sampler time per trial (fastest of `repeats` runs of `trials`) on Hartmann6 and on the
 * mixed space: the `timing` block, also printed alone by `--timing-only`.
 */
function samplerTiming(trials: number, repeats: number) {
  const hartmann = FUNCTIONS.find((x) => x.name === "hartmann6") as BenchFunction;
  const hartmannFn = (c: Record<string, unknown>) =>
    hartmann.fn(hartmann.bounds.map((_, j) => c[`x${j}`] as number));
  const ours = fastest(repeats, () => timing(trials, spaceOf(hartmann), hartmannFn));
  const mixed = PROBLEMS.find((p) => p.name === "mixed") as BenchProblem;
  const mixedSpeed = fastest(repeats, () => timing(trials, mixed.space(), mixed.fn));
  return {
    function: "hartmann6",
    trials,
    repeats: `fastest of ${repeats} runs (wall and CPU each)`,
    ours,
    oursMixedSpace: {
      space: "3 ints (one log), 2 floats (one log), 1 categorical",
      ...mixedSpeed,
    },
  };
}

/** Median best value of our TPE on a problem with ints, categoricals or conditions. */
function problemMedian(p: BenchProblem, trials: number, seeds: number): number {
  const bests = Array.from({ length: seeds }, (_, seed) => {
    const opt = new TPE({ space: p.space(), metrics: metric, seed });
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < trials; i++) {
      const t = opt.ask();
      const y = p.fn(t.config);
      best = Math.min(best, y);
      opt.tell(t.success({ y }));
    }
    return best;
  });
  return round(median(bests));
}

/** The fastest of `n` timings, field by field, like timeit: the machine may be shared. */
function fastest(n: number, measure: () => Timing): Timing {
  const runs = Array.from({ length: n }, measure);
  const min = (key: keyof Timing) => Math.min(...runs.map((r) => r[key]));
  return {
    msPerTrial: min("msPerTrial"),
    cpuMsPerTrial: min("cpuMsPerTrial"),
    msPerTrialLastTenth: min("msPerTrialLastTenth"),
  };
}

/** Median hypervolume of the front after `trials` sequential trials, and ms per trial. */
function frontHypervolume(
  p: BenchMultiObjective,
  make: (s: SearchSpace, objectives: Metric[], seed: number) => Optimizer,
  trials: number,
  seeds: number,
): { median: number; msPerTrial: number } {
  const objectives = p.reference.map((_, i) => new Metric(`f${i + 1}`));
  const s = space(
    Object.fromEntries(Array.from({ length: p.dims }, (_, i) => [`x${i}`, float(0, 1)])),
  );
  const t0 = performance.now();
  const hvs = Array.from({ length: seeds }, (_, seed) => {
    const opt = make(s, objectives, seed);
    const reports = [];
    for (let i = 0; i < trials; i++) {
      const t = opt.ask();
      const fs = p.fn(Array.from({ length: p.dims }, (_, j) => t.config[`x${j}`] as number));
      const r = t.success(Object.fromEntries(fs.map((v, i) => [`f${i + 1}`, v])));
      opt.tell(r);
      reports.push(r);
    }
    const front = paretoFront(reports, objectives).map((r) => lossesOf(r, objectives) as number[]);
    return hypervolume(front, p.reference);
  });
  return {
    median: round(median(hvs)),
    msPerTrial: round((performance.now() - t0) / seeds / trials),
  };
}

interface OptunaOut {
  optuna: string;
  results: Record<string, Record<string, { median: number }>>;
  problems?: Record<string, { median: number }>;
  msPerTrial?: Record<string, number>;
  cpuMsPerTrial?: Record<string, number>;
  multiObjective?: Record<string, Record<string, { median: number }>>;
}

/** Starts Optuna's side (it takes minutes); resolves to its JSON, or why it could not run. */
function optunaSide(args: string[]): Promise<OptunaOut | { unavailable: string }> {
  const probe = spawnSync("python3", ["-c", "import optuna"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0)
    return Promise.resolve({
      unavailable: `python3 with optuna not found: ${probe.error?.message ?? probe.stderr.trim().split("\n").pop()}`,
    });
  const script = join(dirname(fileURLToPath(import.meta.url)), "python", "optuna_bench.py");
  return new Promise((resolve) => {
    const child = spawn("python3", [script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("close", (code) => {
      try {
        resolve(JSON.parse(out) as OptunaOut);
      } catch {
        resolve({ unavailable: `optuna_bench.py exited with ${code} without JSON` });
      }
    });
  });
}

function list(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1].split(",").map(Number) : fallback;
}

/** Our optimizers besides TPE and random search in the held-out comparison. */
const bbobExtras: Record<string, MakeOptimizer> = {
  cmaEs: (s, metrics, seed) => new CmaEs({ space: s, metrics, seed }),
};

function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const trials = arg("trials", 100);
  const seeds = arg("seeds", 20);
  const timingTrials = arg("timing-trials", 1000);
  const repeats = arg("timing-repeats", 3);
  const moTrials = arg("mo-trials", 200);
  const moSeeds = arg("mo-seeds", 10);
  if (process.argv.includes("--timing-only")) {
    const timed = samplerTiming(timingTrials, repeats);
    const loadAverage = loadavg().map((x) => round(x));
    console.log(JSON.stringify({ timing: timed, loadAverage }));
    process.exit(0);
  }
  const optuna = process.argv.includes("--no-optuna")
    ? Promise.resolve({ unavailable: "--no-optuna" })
    : optunaSide([
        "--trials",
        `${trials}`,
        "--seeds",
        `${seeds}`,
        "--timing-trials",
        `${timingTrials}`,
        "--timing-repeats",
        `${repeats}`,
        "--mo-trials",
        `${moTrials}`,
        "--mo-seeds",
        `${moSeeds}`,
      ]);

  const ours = medians(tpe(), trials, seeds);
  const oursIndependent = medians(tpe({ multivariate: false }), trials, seeds);
  const random = medians(
    (s, seed) => new RandomSearch({ space: s, metrics: metric, seed }),
    trials,
    seeds,
  );
  const problems: Record<string, { ours: number; optunaDefaults: number | null }> = {};
  for (const p of PROBLEMS)
    problems[p.name] = { ours: problemMedian(p, trials, seeds), optunaDefaults: null };
  type MakeMulti = (s: SearchSpace, objectives: Metric[], seed: number) => Optimizer;
  const samplers: Record<string, MakeMulti> = {
    motpe: (s, metrics, seed) => new TPE({ space: s, metrics, seed }),
    nsga2: (s, metrics, seed) => new NSGA2({ space: s, metrics, seed }),
    randomSearch: (s, metrics, seed) => new RandomSearch({ space: s, metrics, seed }),
  };
  const mo = Object.fromEntries(
    (moTrials > 0 ? MULTI_OBJECTIVE : []).map((p) => [
      p.name,
      Object.fromEntries(
        Object.entries(samplers).map(([name, make]) => [
          name,
          frontHypervolume(p, make, moTrials, moSeeds),
        ]),
      ),
    ]),
  );
  const theirs = await optuna;
  // The held-out suite (bench/bbob/): after Optuna's classic side, so they don't share the CPU.
  const heldOut = process.argv.includes("--no-bbob")
    ? { skipped: "--no-bbob" }
    : await bbobReport({
        trials: arg("bbob-trials", 100),
        seeds: arg("bbob-seeds", 15),
        dims: list("bbob-dims", [3, 6]),
        fids: list(
          "bbob-fids",
          Array.from({ length: 24 }, (_, i) => i + 1),
        ),
        jobs: arg("bbob-jobs", 1),
        extra: bbobExtras,
        cache: process.argv.includes("--no-optuna-cache")
          ? undefined
          : OptunaCache.open(textArg("optuna-cache") ?? DEFAULT_OPTUNA_CACHE),
      });
  const theirMo = "multiObjective" in theirs ? theirs.multiObjective : undefined;
  const multiObjective = Object.fromEntries(
    MULTI_OBJECTIVE.filter((p) => mo[p.name]).map((p) => {
      const ours = mo[p.name];
      const them = theirMo?.[p.name];
      return [
        p.name,
        {
          objectives: p.reference.length,
          reference: p.reference,
          bestPossible: round(p.bestHypervolume),
          oursMotpe: ours.motpe.median,
          oursNsga2: ours.nsga2.median,
          randomSearch: ours.randomSearch.median,
          optunaTpe: them ? round(them.tpe.median) : null,
          optunaNsga2: them ? round(them.nsga2.median) : null,
          oursMotpeMsPerTrial: ours.motpe.msPerTrial,
        },
      ];
    }),
  );
  if ("problems" in theirs && theirs.problems)
    for (const [name, r] of Object.entries(theirs.problems))
      problems[name].optunaDefaults = round(r.median);
  // Timed after Optuna's side finished, so the two don't share the CPU while timed.
  const {
    ours: speed,
    oursMixedSpace: mixedSpeed,
    ...timed
  } = samplerTiming(timingTrials, repeats);

  const functions: Record<string, Record<string, number | null>> = {};
  for (const f of FUNCTIONS) {
    const o = "results" in theirs ? theirs.results : undefined;
    functions[f.name] = {
      knownMinimum: f.minimum,
      ours: ours[f.name],
      optunaDefaults: o ? round(o.defaults[f.name].median) : null,
      optunaMultivariate: o ? round(o.multivariate[f.name].median) : null,
      oursIndependent: oursIndependent[f.name],
      optunaIndependent: o ? round(o.independent[f.name].median) : null,
      randomSearch: random[f.name],
    };
  }
  const beats = (key: string) =>
    "results" in theirs
      ? Object.values(functions).every((r) => (r.ours as number) <= (r[key] as number))
      : null;
  console.log(
    JSON.stringify(
      {
        trials,
        seeds,
        metric: "median over seeds of the best value found (minimized)",
        node: process.version,
        optuna: "optuna" in theirs ? theirs.optuna : theirs.unavailable,
        functions,
        problems,
        multiObjective: {
          trials: moTrials,
          seeds: moSeeds,
          metric: "median over seeds of the front's hypervolume (larger is better)",
          ...multiObjective,
        },
        timing: {
          ...timed,
          ours: speed,
          oursMixedSpace: mixedSpeed,
          optunaDefaults:
            "msPerTrial" in theirs && theirs.msPerTrial && theirs.cpuMsPerTrial
              ? {
                  msPerTrial: round(theirs.msPerTrial.hartmann6),
                  cpuMsPerTrial: round(theirs.cpuMsPerTrial.hartmann6),
                }
              : null,
        },
        heldOut,
        goals: {
          medianAtLeastAsGoodAsOptunaDefaults: beats("optunaDefaults"),
          medianAtLeastAsGoodAsOptunaMultivariate: beats("optunaMultivariate"),
          problemsAtLeastAsGoodAsOptunaDefaults:
            "results" in theirs
              ? Object.values(problems).every((r) => r.ours <= (r.optunaDefaults as number))
              : null,
          msPerTrialAtMost1: speed.msPerTrial <= 1,
          cpuMsPerTrialAtMost1: speed.cpuMsPerTrial <= 1,
          mixedSpaceMsPerTrialAtMost1: mixedSpeed.msPerTrial <= 1,
          mixedSpaceCpuMsPerTrialAtMost1: mixedSpeed.cpuMsPerTrial <= 1,
          motpeAtLeastAsGoodAsOptunaTpe: theirMo
            ? Object.values(multiObjective).every(
                (r) => r.optunaTpe === null || r.oursMotpe >= r.optunaTpe,
              )
            : null,
        },
      },
      null,
      2,
    ),
  );
}
