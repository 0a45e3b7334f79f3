import { describe, expect, it } from "vitest";
import { OptionError } from "../../shared/options.js";
import { Metric } from "../../trial/metric.js";
import { Rng } from "../rng.js";
import { categorical, float, int } from "../space/builders.js";
import { space } from "../space/search-space.js";
import { groupEstimators } from "./group-estimators.js";
import { groupsOf } from "./groups.js";
import { type Dim, Parzen, type ParzenOptions } from "./parzen.js";
import { TPE } from "./tpe.js";
import { parzenOf } from "./tpe-option-checks.js";
import { TPE_DEFAULTS } from "./tpe-options.js";

const opts = (covariance?: ParzenOptions["covariance"]): ParzenOptions => ({
  priorWeight: 1,
  multivariate: true,
  considerEndpoints: false,
  minBandwidth: 0.01,
  bandwidthScale: 0.04,
  covariance,
});

const floats2: Dim[] = [{ kind: "float" }, { kind: "float" }];

/** 20 points along the diagonal x = y of the unit square. */
function diagonal(): { rows: Float64Array; n: number; weights: number[] } {
  const n = 20;
  const rows = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = 0.2 + (0.6 * i) / (n - 1);
    rows[2 * i] = t;
    rows[2 * i + 1] = t + 0.01 * Math.sin(i);
  }
  return { rows, n, weights: new Array<number>(n).fill(1) };
}

/** ∫ exp(logPdf) over the unit square on a g × g midpoint grid. */
function integral(p: Parzen, g: number): number {
  const points = new Float64Array(2 * g * g);
  for (let a = 0; a < g; a++)
    for (let b = 0; b < g; b++) {
      points[2 * (a * g + b)] = (a + 0.5) / g;
      points[2 * (a * g + b) + 1] = (b + 0.5) / g;
    }
  return p.logPdf(points, g * g).reduce((s, v) => s + Math.exp(v), 0) / (g * g);
}

describe("rotated (full-covariance) kernels", () => {
  it("are still a density on the unit square, for both scales", () => {
    const { rows, n, weights } = diagonal();
    for (const scale of ["shape", "scott"] as const) {
      const p = new Parzen(floats2, rows, n, weights, opts({ scale, factor: 1 }));
      expect(integral(p, 400)).toBeCloseTo(1, 2);
    }
  });

  it("follow the points' valley: denser along the diagonal than across it", () => {
    const { rows, n, weights } = diagonal();
    // Two probes equally far from (0.5, 0.5): one along the diagonal, one across it.
    const probes = new Float64Array([0.53, 0.53, 0.53, 0.47]);
    const diag = new Parzen(floats2, rows, n, weights, opts()).logPdf(probes, 2);
    const rotated = new Parzen(floats2, rows, n, weights, opts({ scale: "shape", factor: 1 }));
    const rot = rotated.logPdf(probes, 2);
    expect(rot[0] - rot[1]).toBeGreaterThan(diag[0] - diag[1] + 2);
  });

  it("draw inside the cube, near the valley", () => {
    const { rows, n, weights } = diagonal();
    const p = new Parzen(floats2, rows, n, weights, opts({ scale: "shape", factor: 1 }));
    const draws = p.sample(new Rng(3), 4000);
    let off = 0;
    for (let i = 0; i < 4000; i++) {
      expect(draws[2 * i]).toBeGreaterThanOrEqual(0);
      expect(draws[2 * i + 1]).toBeLessThanOrEqual(1);
      off += Math.abs(draws[2 * i] - draws[2 * i + 1]);
    }
    // The prior kernel (1 of 21) spreads ~1/3 off the diagonal; the rest stay close to it.
    expect(off / 4000).toBeLessThan(0.04);
  });

  it("leave discrete and categorical dimensions as they were", () => {
    const dims: Dim[] = [...floats2, { kind: "discrete" }, { kind: "categorical", n: 3 }];
    const rows = new Float64Array([0.2, 0.3, 0.5, 0, 0.6, 0.7, 0.5, 2, 0.4, 0.5, 0.9, 1]);
    const p = new Parzen(dims, rows, 3, [1, 1, 1], opts({ scale: "shape", factor: 1 }));
    const draws = p.sample(new Rng(1), 200);
    for (let i = 0; i < 200; i++) expect([0, 1, 2]).toContain(draws[4 * i + 3]);
    const lo = rows.map((v) => v - 0.1);
    const hi = rows.map((v) => v + 0.1);
    expect(Array.from(p.logPdf(rows, 3, lo, hi)).every(Number.isFinite)).toBe(true);
  });

  it("TPE takes them as an option, checks it, and still optimizes a mixed space", () => {
    const s = space({ x: float(-5, 5), y: float(-5, 5), k: int(1, 4), c: categorical(["a", "b"]) });
    const loss = new Metric("loss");
    expect(
      () =>
        new TPE({
          space: s,
          metrics: loss,
          covarianceKernels: { scale: "wide" as "shape", factor: 1 },
        }),
    ).toThrow(OptionError);
    expect(
      () => new TPE({ space: s, metrics: loss, covarianceKernels: { scale: "shape", factor: 0 } }),
    ).toThrow(/covarianceKernels/);
    const tpe = new TPE({
      space: s,
      metrics: loss,
      seed: 5,
      covarianceKernels: { scale: "shape", factor: 1 },
    });
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 80; i++) {
      const t = tpe.ask();
      const { x, y, k, c } = t.config as { x: number; y: number; k: number; c: string };
      // A rotated valley: x + y matters far more than x - y.
      const value = 100 * (x + y - 1) ** 2 + (x - y) ** 2 / 10 + (k - 2) ** 2 + (c === "a" ? 0 : 1);
      best = Math.min(best, value);
      tpe.tell(t.success({ loss: value }));
    }
    expect(best).toBeLessThan(3);
  });

  it("are the default with one metric only; false turns them off", () => {
    const s = space({ x: float(0, 1), y: float(0, 1) });
    const one = new Metric("loss");
    const two = [new Metric("a"), new Metric("b")];
    expect(parzenOf({ space: s, metrics: one }, 1).covariance).toEqual(
      TPE_DEFAULTS.covarianceKernels,
    );
    expect(parzenOf({ space: s, metrics: two }, 2).covariance).toBeUndefined();
    expect(parzenOf({ space: s, metrics: one, covarianceKernels: false }, 1).covariance).toBe(
      undefined,
    );
    expect(Object.isFrozen(TPE_DEFAULTS.covarianceKernels)).toBe(true);
  });
});

describe("rotated kernels for g(x) (covarianceKernels.bad)", () => {
  const s = space({ x: float(0, 1), y: float(0, 1) });
  const [group] = groupsOf(s, true);
  /** Bad trials along the diagonal x = y; `failed` marks the first one as failed. */
  const split = (failed: boolean) => {
    const { rows, n } = diagonal();
    const above = Array.from({ length: n }, (_, i) => ({
      index: i,
      row: rows.subarray(2 * i, 2 * i + 2),
      losses: failed && i === 0 ? undefined : [1],
      failed: failed && i === 0,
    }));
    return { below: [], belowWeights: [], above, aboveWeights: above.map(() => 1) };
  };
  const options = (bad: boolean) =>
    parzenOf(
      {
        space: s,
        metrics: new Metric("loss"),
        covarianceKernels: { scale: "shape", factor: 1, shrinkage: 1, bad },
      },
      1,
    );
  // Two probes equally far from (0.5, 0.5): along the bad trials' diagonal, and across it.
  const probes = new Float64Array([0.53, 0.53, 0.53, 0.47]);
  const alongMinusAcross = (bad: boolean, failed: boolean) => {
    const { g } = groupEstimators(group, split(failed), options(bad), 128);
    const [along, across] = g.logPdf(probes, 2);
    return along - across;
  };

  it("follow the bad trials' valley when asked, stay diagonal otherwise or with a failed trial", () => {
    expect(alongMinusAcross(true, false)).toBeGreaterThan(alongMinusAcross(false, false) + 0.5);
    expect(alongMinusAcross(true, true)).toBeCloseTo(alongMinusAcross(false, true), 9);
  });
});
