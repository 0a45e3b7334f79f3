import { describe, expect, it } from "vitest";
import { OptionError } from "../../shared/options.js";
import { Metric } from "../../trial/metric.js";
import { Rng } from "../rng.js";
import { categorical, float } from "../space/builders.js";
import { space } from "../space/search-space.js";
import { drawFromGoodGaussian } from "./gaussian-candidates.js";
import { TPE, TPE_DEFAULTS } from "./tpe.js";

const metrics = new Metric("loss");

describe("TPE candidates from the good set's Gaussian", () => {
  it("draws around the good trials' weighted mean along their main axis, and keeps categorical slots", () => {
    // Good trials on the diagonal x = y around (0.5, 0.5); the middle one weighs most.
    const rows = withCategory(new Float64Array([0.4, 0.4, 0.5, 0.5, 0.6, 0.6]));
    const n = 2000;
    const d = 3;
    const points = new Float64Array(n * d).fill(2); // slot 2 is categorical: left as drawn
    drawFromGoodGaussian(points, rows, [1, 2, 1], [true, true, false], 1, new Rng(7));
    let mx = 0;
    let my = 0;
    let offAxis = 0;
    for (let p = 0; p < n; p++) {
      const x = points[p * d];
      const y = points[p * d + 1];
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
      expect(points[p * d + 2]).toBe(2);
      mx += x / n;
      my += y / n;
      offAxis = Math.max(offAxis, Math.abs(x - y));
    }
    expect(mx).toBeCloseTo(0.5, 1);
    expect(my).toBeCloseTo(0.5, 1);
    // Perfectly correlated good trials: draws stay on the diagonal (up to the ridge).
    expect(offAxis).toBeLessThan(0.05);
  });

  it('with center "best", draws around the given good trial instead of the mean', () => {
    const rows = new Float64Array([0.2, 0.2, 0.5, 0.5, 0.8, 0.8]);
    const points = new Float64Array(2000 * 2);
    drawFromGoodGaussian(points, rows, [1, 1, 1], [true, true], 0.1, new Rng(3), 0);
    let mean = 0;
    for (let p = 0; p < 2000; p++) mean += points[p * 2] / 2000;
    expect(mean).toBeCloseTo(0.2, 1);
  });

  it("leaves the points alone with fewer than 2 good trials", () => {
    const points = new Float64Array([0.1, 0.9]);
    drawFromGoodGaussian(points, new Float64Array([0.5, 0.5]), [1], [true, true], 1, new Rng(1));
    expect([...points]).toEqual([0.1, 0.9]);
  });

  it.each([
    ["mean", "mean" as const],
    ["best", "best" as const],
  ])(
    "is off by default, keeps a run valid and reproducible (center %s), and refuses bad values",
    (_, center) => {
      expect(TPE_DEFAULTS.gaussianCandidates).toBe(false);
      const s = space({ x: float(-5, 5), y: float(-5, 5), k: categorical(["a", "b"]) });
      const run = () => {
        const tpe = new TPE({
          space: s,
          metrics,
          seed: 3,
          gaussianCandidates: { count: 8, scale: 1, center },
        });
        let best = Number.POSITIVE_INFINITY;
        const xs: number[] = [];
        for (let i = 0; i < 50; i++) {
          const t = tpe.ask();
          const x = t.config.x as number;
          const y = t.config.y as number;
          expect(Math.abs(x)).toBeLessThanOrEqual(5);
          const loss = (x - 1) ** 2 + (y + 2) ** 2 + (t.config.k === "a" ? 0 : 1);
          best = Math.min(best, loss);
          xs.push(x);
          tpe.tell(t.success({ loss }));
        }
        return { best, xs };
      };
      const first = run();
      expect(run().xs).toEqual(first.xs);
      expect(first.best).toBeLessThan(0.5);
      for (const bad of [
        { count: 0, scale: 1 },
        { count: 1.5, scale: 1 },
        { count: 4, scale: 0 },
        { count: 4, scale: Number.POSITIVE_INFINITY },
        { count: 4, scale: 1, center: "median" as "mean" },
      ]) {
        const make = () => new TPE({ space: s, metrics, gaussianCandidates: bad });
        expect(make).toThrow(OptionError);
        expect(make).toThrow(/gaussianCandidates/);
      }
    },
  );
});

/** Rows of (x, y) as rows of (x, y, category 0). */
function withCategory(rows: Float64Array): Float64Array {
  const out = new Float64Array((rows.length / 2) * 3);
  for (let i = 0; i < rows.length / 2; i++) {
    out[i * 3] = rows[i * 2];
    out[i * 3 + 1] = rows[i * 2 + 1];
  }
  return out;
}
