/**
 * Round 10 of choosing TPE's single-objective defaults (docs/guides/optimizers.md): the prior
 * kernel's weight shrinking past n told trials (`priorShrink`), a late-run exploitation
 * schedule, on top of the round-8 defaults. Screened on training seeds 1040-1059, confirmed
 * (at most one) on fresh seeds 1060-1079. None won 3 more times than the defaults against
 * Optuna's TPE on 1040-1059 (50-58 wins against 58), so none was confirmed and the round-8
 * defaults stayed.
 *
 * @module
 */

import type { TPEOptions } from "../../src/optim/tpe/index.js";

/** Good-group size ⌈0.1 n⌉ up to 50 trials, then growing by 1 per 20 trials (cap 25). */
const gammaLate = Object.assign(
  (n: number) => Math.min(n <= 50 ? Math.ceil(0.1 * n) : 5 + Math.ceil(0.05 * (n - 50)), 25),
  { toString: () => "ceil(0.1 n) to 50, then 5 + ceil(0.05 (n - 50)), cap 25" },
);

/** The round-10 candidates over `round8` (the round-8 defaults over the baseline). */
export function round10(round8: Partial<TPEOptions>): Record<string, Partial<TPEOptions>> {
  return {
    "r10-shrink20": { ...round8, priorShrink: 20 },
    "r10-shrink35": { ...round8, priorShrink: 35 },
    "r10-shrink50": { ...round8, priorShrink: 50 },
    "r10-shrink70": { ...round8, priorShrink: 70 },
    // Broad early (a heavier prior), as sharp as the defaults by 50-80 trials.
    "r10-prior0.5-shrink25": { ...round8, priorWeight: 0.5, priorShrink: 25 },
    "r10-prior1-shrink20": { ...round8, priorWeight: 1, priorShrink: 20 },
    // Screen 2: earlier shrinking (screen 1's best mean rank, 20, had no loss against Optuna),
    // with a sharper l(x), and a good set that grows at half the rate past 50 trials.
    "r10-shrink10": { ...round8, priorShrink: 10 },
    "r10-shrink15": { ...round8, priorShrink: 15 },
    "r10-shrink20-lprior0.125": { ...round8, priorShrink: 20, goodPriorWeight: 0.125 },
    "r10-gammaLate50": { ...round8, gamma: gammaLate },
  };
}
