/**
 * Round 11 of choosing TPE's single-objective defaults (docs/guides/optimizers.md): a
 * response-surface step (`responseSurface`: every k-th ask proposes the minimizer of a
 * quadratic fitted to the best fraction of the trials), on top of the round-8 defaults, aimed
 * at the 5-d ties where TPE's kernels see the ripples and not the funnel under them. Screened
 * on training seeds 1040-1059, confirmed (at most one) on fresh seeds 1060-1079.
 *
 * @module
 */

import type { TPEOptions } from "../../src/optim/tpe/index.js";

/** The round-11 candidates over `round8` (the round-8 defaults over the baseline). */
export function round11(round8: Partial<TPEOptions>): Record<string, Partial<TPEOptions>> {
  const rs = (responseSurface: TPEOptions["responseSurface"]) => ({ ...round8, responseSurface });
  return {
    // How many trials the fit sees (all, best half, third, quarter), every 5th ask; the model
    // full once the fitted trials allow it (separable before), or full only.
    "r11-rs-all-k5": rs({ every: 5, fraction: 1 }),
    "r11-rs-half-k5": rs({ every: 5, fraction: 0.5 }),
    "r11-rs-third-k5": rs({ every: 5, fraction: 1 / 3 }),
    "r11-rs-quarter-k5": rs({ every: 5, fraction: 0.25 }),
    "r11-rs-all-sep-k5": rs({ every: 5, fraction: 1, model: "separable" }),
    "r11-rs-half-full-k5": rs({ every: 5, fraction: 0.5, model: "full" }),
    // How often (every 3rd, 10th ask), and ranks for values.
    "r11-rs-all-k3": rs({ every: 3, fraction: 1 }),
    "r11-rs-all-k10": rs({ every: 10, fraction: 1 }),
    "r11-rs-half-k3": rs({ every: 3, fraction: 0.5 }),
    "r11-rs-half-k10": rs({ every: 10, fraction: 0.5 }),
    "r11-rs-half-rank-k5": rs({ every: 5, fraction: 0.5, values: "rank" }),
    "r11-rs-all-rank-k5": rs({ every: 5, fraction: 1, values: "rank" }),
    // Screen 2, around screen 1's best (the best half, every 5th ask): the fraction (0.4, 0.6)
    // and a later start (10 fitted trials beyond the unknowns).
    "r11-rs-0.4-k5": rs({ every: 5, fraction: 0.4 }),
    "r11-rs-0.6-k5": rs({ every: 5, fraction: 0.6 }),
    "r11-rs-half-m10-k5": rs({ every: 5, fraction: 0.5, margin: 10 }),
  };
}
