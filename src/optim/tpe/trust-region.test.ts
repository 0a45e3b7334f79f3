import { describe, expect, it } from "vitest";
import { OptionError } from "../../shared/options.js";
import { Metric } from "../../trial/metric.js";
import { Rng } from "../rng.js";
import { float } from "../space/builders.js";
import { space } from "../space/search-space.js";
import { Parzen } from "./parzen.js";
import { TPE } from "./tpe.js";
import { parzenOf, trustRegionOf } from "./tpe-option-checks.js";
import { TPE_DEFAULTS } from "./tpe-options.js";
import { contractToward, TrustRegion } from "./trust-region.js";

describe("TrustRegion", () => {
  it("halves after `patience` trials without an improvement, down to `min`", () => {
    const t = new TrustRegion({ patience: 2, min: 0.25 });
    t.observe(5);
    const factors = [6, 7, 8, 9, 10, 11].map((loss) => {
      t.observe(loss);
      return t.factor;
    });
    expect(factors).toEqual([1, 0.5, 0.5, 0.25, 0.25, 0.25]);
  });

  it("doubles (up to 1) on an improvement; failures count as no improvement", () => {
    const t = new TrustRegion({ patience: 1 });
    t.observe(5);
    t.observe(undefined);
    t.observe(undefined);
    expect(t.factor).toBe(0.25);
    t.observe(4);
    expect(t.factor).toBe(0.5);
    t.observe(3);
    t.observe(2);
    expect(t.factor).toBe(1);
  });

  it("with `restart`, restarts at full width after `patience` more stale trials at `min`, and pauses", () => {
    const t = new TrustRegion({ patience: 1, min: 0.5, restart: 2 });
    t.observe(5);
    t.observe(6); // halves to the floor
    expect([t.factor, t.paused]).toEqual([0.5, false]);
    t.observe(6); // a stale trial at the floor: restart
    expect([t.factor, t.paused]).toEqual([1, true]);
    t.observe(4);
    expect(t.paused).toBe(true);
    t.observe(3);
    expect([t.factor, t.paused]).toEqual([1, false]);
  });

  it("without `restart`, stays at `min` and never pauses", () => {
    const t = new TrustRegion({ patience: 1, min: 0.5 });
    for (const loss of [5, 6, 7, 8, 9]) t.observe(loss);
    expect([t.factor, t.paused]).toEqual([0.5, false]);
  });
});

describe("contractToward", () => {
  it("pulls numeric coordinates toward the center and leaves choices as drawn", () => {
    const points = new Float64Array([1, 0, 3, 0, 1, 2]);
    contractToward(points, [0.5, 0.5, 0], 0.5, [true, true, false]);
    expect([...points]).toEqual([0.75, 0.25, 3, 0.25, 0.75, 2]);
  });
});

describe("TPE trustRegion and bandwidthDecay options", () => {
  const s = space({ x: float(-5, 5), y: float(-5, 5) });
  const metrics = new Metric("loss");

  it("a trust region is the one-metric default (false turns it off); ignored with several metrics", () => {
    expect(trustRegionOf({ space: s, metrics }, 1)).toBeInstanceOf(TrustRegion);
    expect(trustRegionOf({ space: s, metrics, trustRegion: false }, 1)).toBeUndefined();
    expect(trustRegionOf({ space: s, metrics }, 2)).toBeUndefined();
    expect(Object.isFrozen(TPE_DEFAULTS.trustRegion)).toBe(true);
    expect(trustRegionOf({ space: s, metrics, trustRegion: { patience: 4 } }, 2)).toBeUndefined();
    expect(trustRegionOf({ space: s, metrics, trustRegion: { patience: 4 } }, 1)).toBeInstanceOf(
      TrustRegion,
    );
    expect(parzenOf({ space: s, metrics }, 1).bandwidthDecay).toBe(1);
    // Round 6: kernels widen with the dimension with one metric only (MOTPE unchanged).
    expect(parzenOf({ space: s, metrics }, 1).bandwidthGrowth).toBe(1 / 6);
    expect(parzenOf({ space: s, metrics }, 2).bandwidthGrowth).toBe(0);
  });

  it("refuse bad values with an OptionError naming the option and the value", () => {
    for (const bad of [
      { trustRegion: { patience: 0 } },
      { trustRegion: { patience: 2.5 } },
      { trustRegion: { patience: 4, min: 0 } },
      { trustRegion: { patience: 4, restart: -1 } },
      { trustRegion: { patience: 4, restart: 1.5 } },
      { bandwidthDecay: 0 },
      { bandwidthDecay: Number.NaN },
      { bandwidthGrowth: -0.1 },
      { bandwidthGrowth: Number.NaN },
      { wideCandidates: { perDim: -1, scale: 3 } },
      { wideCandidates: { perDim: 1, scale: 0 } },
      { wideCandidates: { perDim: 1, scale: Number.POSITIVE_INFINITY } },
    ]) {
      const make = () => new TPE({ space: s, metrics, ...bad });
      expect(make).toThrow(OptionError);
      expect(make).toThrow(Object.keys(bad)[0]);
    }
  });

  it("a sample with a scale > 1 spreads wider around the same kernels", () => {
    const rows = new Float64Array([0.5, 0.5, 0.52, 0.48, 0.47, 0.51]);
    const l = new Parzen([{ kind: "float" }, { kind: "float" }], rows, 3, [1, 1, 1], {
      ...parzenOf({ space: s, metrics }, 1),
      priorWeight: 1e-9,
    });
    const spread = (scale: number) => {
      const points = l.sample(new Rng(7), 400, 0, scale);
      let sum = 0;
      for (let p = 0; p < points.length; p += 2) sum += Math.abs(points[p] - 0.5);
      return sum / 400;
    };
    expect(spread(4)).toBeGreaterThan(2 * spread(1));
  });

  it("with bandwidthGrowth, joint kernels past 2 dimensions are wider, in 2 the same", () => {
    const widthIn = (d: number, growth: number) => {
      const dims = Array.from({ length: d }, () => ({ kind: "float" as const }));
      const rows = new Float64Array(Array.from({ length: 8 * d }, (_, i) => ((i * 7) % 10) / 10));
      const options = parzenOf({ space: s, metrics, bandwidthGrowth: growth }, 1);
      return new Parzen(dims, rows, 8, new Array<number>(8).fill(1), {
        ...options,
        covariance: undefined,
      }).widths()[0];
    };
    expect(widthIn(5, 1 / 6)).toBeCloseTo(1.5 * widthIn(5, 0), 12);
    expect(widthIn(2, 1 / 6)).toBe(widthIn(2, 0));
  });

  it("with a faster bandwidthDecay, kernels of many points are narrower", () => {
    const rows = new Float64Array(Array.from({ length: 40 }, (_, i) => (i % 20) / 20 + 0.02));
    const weights = new Array<number>(20).fill(1);
    const widthWith = (decay: number) =>
      new Parzen([{ kind: "float" }, { kind: "float" }], rows, 20, weights, {
        ...parzenOf({ space: s, metrics, covarianceKernels: false, bandwidthDecay: decay }, 1),
      }).widths()[0];
    expect(widthWith(2)).toBeLessThan(widthWith(1));
  });

  it.each([
    ["a trust region", { trustRegion: { patience: 2 } }],
    ["a restarting trust region", { trustRegion: { patience: 1, min: 0.5, restart: 3 } }],
    ["wide candidates", { wideCandidates: { perDim: 2, scale: 3 } }],
  ])("%s keeps a TPE run valid and seeded runs reproducible", (_, options) => {
    const run = () => {
      const tpe = new TPE({ space: s, metrics, seed: 3, ...options });
      const xs: number[] = [];
      for (let i = 0; i < 40; i++) {
        const t = tpe.ask();
        const x = t.config.x as number;
        const y = t.config.y as number;
        expect(Math.abs(x)).toBeLessThanOrEqual(5);
        expect(Math.abs(y)).toBeLessThanOrEqual(5);
        xs.push(x);
        tpe.tell(t.success({ loss: (x - 1) ** 2 + (y + 2) ** 2 }));
      }
      return xs;
    };
    const first = run();
    expect(run()).toEqual(first);
    // Late asks gather near the optimum (1, -2).
    expect(Math.min(...first.slice(20).map((x) => Math.abs(x - 1)))).toBeLessThan(0.5);
  });
});
