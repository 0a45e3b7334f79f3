import { describe, expect, it } from "vitest";
import { Rng } from "../rng.js";
import { defaultGamma, defaultWeights, split } from "./good-bad-split.js";
import { type Dim, Parzen, type ParzenOptions } from "./parzen.js";
import { thin } from "./thin-kernels.js";

const opts = (over: Partial<ParzenOptions> = {}): ParzenOptions => ({
  priorWeight: 1,
  multivariate: true,
  considerEndpoints: false,
  minBandwidth: 0.01,
  bandwidthScale: 0.2,
  ...over,
});

describe("Parzen", () => {
  it("is a density on [0, 1] (univariate and joint kernels)", () => {
    for (const multivariate of [true, false]) {
      const p = new Parzen(
        [{ kind: "float" }],
        [0.02, 0.3, 0.31, 0.97],
        4,
        [1, 2, 1, 1],
        opts({ multivariate }),
      );
      const n = 20000;
      const xs = Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n);
      const integral = p.logPdf(xs, n).reduce((s, v) => s + Math.exp(v) / n, 0);
      expect(integral).toBeCloseTo(1, 3);
    }
  });

  it("gives discrete values masses that sum to 1", () => {
    const k = 7;
    const p = new Parzen([{ kind: "discrete" }], [0.5 / k, 3.5 / k], 2, [1, 1], opts());
    const centres = Float64Array.from({ length: k }, (_, i) => (i + 0.5) / k);
    const lo = Float64Array.from({ length: k }, (_, i) => i / k);
    const hi = Float64Array.from({ length: k }, (_, i) => (i + 1) / k);
    const total = p.logPdf(centres, k, lo, hi).reduce((s, v) => s + Math.exp(v), 0);
    expect(total).toBeCloseTo(1, 6); // normalisers use a 1e-7 CDF
  });

  it("smooths categorical kernels and samples within the domain", () => {
    const dims: Dim[] = [{ kind: "categorical", n: 3 }, { kind: "float" }];
    const p = new Parzen(dims, [0, 0.1, 0, 0.9, 2, 0.5], 3, [1, 1, 1], opts());
    const pts = p.sample(new Rng(1), 3000);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) {
      counts[pts[i * 2]]++;
      expect(pts[i * 2 + 1]).toBeGreaterThanOrEqual(0);
      expect(pts[i * 2 + 1]).toBeLessThanOrEqual(1);
    }
    expect(counts[0]).toBeGreaterThan(counts[2]);
    expect(counts[2]).toBeGreaterThan(counts[1]);
    expect(counts[1]).toBeGreaterThan(0); // the unseen choice keeps some mass
  });
});

describe("split", () => {
  it("puts the gamma(n) best successes below, failures and pending above", () => {
    const trials = [5, 1, undefined, 3, 0.5, 9, undefined, 2].map((l, index) => ({
      index,
      losses: l === undefined ? undefined : [l],
    }));
    const gamma = (n: number) => Math.ceil(n / 3);
    const { below, above, aboveWeights } = split(trials, gamma, defaultWeights);
    expect(below.map((t) => t.index)).toEqual([1, 4]);
    expect(above.map((t) => t.index)).toEqual([0, 2, 3, 5, 6, 7]);
    expect(aboveWeights).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("ranks several metrics by Pareto fronts", () => {
    const losses = [
      [1, 1],
      [0, 3],
      [3, 0],
      [2, 2],
      [4, 4],
    ];
    const trials = losses.map((l, index) => ({ index, losses: l }));
    const { below } = split(trials, () => 3, defaultWeights);
    expect(below.map((t) => t.index).sort()).toEqual([0, 1, 2]);
  });

  it("defaults: gamma caps at 25, weights ramp older bad trials down", () => {
    expect(defaultGamma(10)).toBe(1);
    expect(defaultGamma(1000)).toBe(25);
    const w = defaultWeights(100);
    expect(w).toHaveLength(100);
    expect(w[0]).toBeCloseTo(0.01);
    expect(w.slice(75).every((x) => x === 1)).toBe(true);
    expect(w[40]).toBeGreaterThan(w[10]);
  });

  it("thin keeps at most max kernels and the total weight", () => {
    const weights = defaultWeights(1000);
    const out = thin(weights, 128);
    expect(out.picks).toHaveLength(128);
    expect(out.weights.reduce((a, b) => a + b)).toBeCloseTo(
      weights.reduce((a, b) => a + b),
      9,
    );
    expect([...out.picks.slice(-64)]).toEqual(Array.from({ length: 64 }, (_, i) => 936 + i));
    expect(thin([1, 2], 128).picks).toEqual(Int32Array.from([0, 1]));
  });
});
