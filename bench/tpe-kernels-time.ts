/**
 * TPE's sampler time per trial with diagonal kernels (the round-3 defaults), with rotated
 * (full-covariance) good kernels (round 4), and with those plus the incumbent candidates'
 * trust region (round 5), and with kernels that widen with the dimension (round 6), and with a
 * lighter prior kernel (round 8, the defaults), and with the options of rounds 10 and 11
 * (`priorShrink`, `responseSurface`), side by side in one process: 1,000 trials on a 6-d float space (a
 * cheap quadratic), `--repeats` times alternating, so all see the same machine load. Prints
 * one JSON object: per variant, wall and CPU ms per trial of each repeat and the fastest.
 *
 * Run: `node --import tsx bench/tpe-kernels-time.ts [--trials 1000] [--repeats 3]`.
 */

import { loadavg } from "node:os";
import { float } from "../src/optim/space/builders.js";
import { space } from "../src/optim/space/search-space.js";
import { TPE, type TPEOptions } from "../src/optim/tpe/index.js";
import { Metric } from "../src/trial/metric.js";

const VARIANTS: Record<string, Partial<TPEOptions>> = {
  diagonal: {
    responseSurface: false,
    covarianceKernels: false,
    trustRegion: false,
    incumbentCandidates: 8,
    priorWeight: 1,
    bandwidthGrowth: 0,
  },
  rotated: {
    trustRegion: false,
    incumbentCandidates: 8,
    priorWeight: 1,
    bandwidthGrowth: 0,
    responseSurface: false,
  },
  // Round 5: 24 incumbent candidates in a trust region, on rotated kernels.
  "rotated+trust": { bandwidthGrowth: 0, priorWeight: 1, responseSurface: false },
  // Round 6: the same, with kernels that widen with the dimension.
  "rotated+trust+growth": { priorWeight: 1, responseSurface: false },
  // Round 8: the same, with the prior kernel weighing 0.25.
  "rotated+trust+growth+prior0.25": { responseSurface: false },
  // Round 10 (an option, off by default): the same, with the prior shrinking past 20 trials.
  "rotated+trust+growth+prior0.25+shrink20": { priorShrink: 20, responseSurface: false },
  // Round 11 (the defaults): the same, with a response-surface step (a least-squares
  // quadratic over the best half of the trials) every 5th ask; and over all of them every 3rd.
  "rotated+trust+growth+prior0.25+surface-half-k5": {},
  "rotated+trust+growth+prior0.25+surface-all-k3": {
    responseSurface: { every: 3, fraction: 1 },
  },
};

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Wall and CPU ms per trial of `trials` asks and tells. */
function timeOne(options: Partial<TPEOptions>, trials: number) {
  const s = space(Object.fromEntries(Array.from({ length: 6 }, (_, j) => [`x${j}`, float(0, 1)])));
  const tpe = new TPE({ space: s, metrics: new Metric("loss"), seed: 1, ...options });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < trials; i++) {
    const trial = tpe.ask();
    const c = trial.config as Record<string, number>;
    let loss = 0;
    for (let j = 0; j < 6; j++) loss += (j + 1) * (c[`x${j}`] - 0.3) ** 2;
    tpe.tell(trial.success({ loss }));
  }
  const cpu = process.cpuUsage(cpu0);
  const round = (x: number) => Number(x.toFixed(4));
  return {
    msPerTrial: round((performance.now() - t0) / trials),
    cpuMsPerTrial: round((cpu.user + cpu.system) / 1000 / trials),
  };
}

const trials = flag("trials", 1000);
const repeats = flag("repeats", 3);
const runs: Record<string, ReturnType<typeof timeOne>[]> = Object.fromEntries(
  Object.keys(VARIANTS).map((name) => [name, []]),
);
for (let r = 0; r < repeats; r++)
  for (const [name, options] of Object.entries(VARIANTS)) runs[name].push(timeOne(options, trials));
const fastest = (name: string) => ({
  msPerTrial: Math.min(...runs[name].map((x) => x.msPerTrial)),
  cpuMsPerTrial: Math.min(...runs[name].map((x) => x.cpuMsPerTrial)),
});
console.log(
  JSON.stringify({
    bench: "tpe-kernels-time",
    trials,
    repeats,
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    runs,
    fastest: Object.fromEntries(Object.keys(VARIANTS).map((name) => [name, fastest(name)])),
  }),
);
