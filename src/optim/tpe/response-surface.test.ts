import { describe, expect, it } from "vitest";
import { OptionError } from "../../shared/options.js";
import { Metric } from "../../trial/metric.js";
import { categorical, float, int } from "../space/builders.js";
import { type SearchSpace, space } from "../space/search-space.js";
import type { Config } from "../types.js";
import { fitQuadratic, isConvex, minimizeInBox, modelValue } from "./quadratic-fit.js";
import { TPE, TPE_DEFAULTS, type TPEOptions } from "./tpe.js";

const metrics = new Metric("loss");

/** Runs `trials` asks of a TPE on `space`, telling `loss`; the configs asked and the best loss. */
function run(
  s: SearchSpace,
  loss: (c: Config) => number,
  options: Partial<TPEOptions>,
  trials: number,
  seed = 3,
): { configs: Config[]; best: number } {
  const tpe = new TPE({ space: s, metrics, seed, ...options });
  const configs: Config[] = [];
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < trials; i++) {
    const t = tpe.ask();
    configs.push(t.config as Config);
    const value = loss(t.config as Config);
    best = Math.min(best, value);
    tpe.tell(t.success({ loss: value }));
  }
  return { configs, best };
}

const box3 = () => space({ a: float(-5, 5), b: float(-5, 5), c: float(-5, 5) });
const sphere = (c: Config) =>
  ((c.a as number) - 1.5) ** 2 + ((c.b as number) + 2) ** 2 + ((c.c as number) - 0.5) ** 2;
/** A rotated ellipsoid with condition number 1e4. */
const ellipsoid = (c: Config) => {
  const u = ((c.a as number) + (c.b as number) - 1) / Math.SQRT2;
  const v = ((c.a as number) - (c.b as number) - 2) / Math.SQRT2;
  return u * u + 1e4 * v * v + ((c.c as number) + 1) ** 2;
};

describe("quadratic fit (least squares, Cholesky)", () => {
  it("recovers a full quadratic exactly and minimizes it in a box", () => {
    const q = (x: number, y: number) =>
      3 + (x - 0.3) ** 2 + 4 * (y - 0.6) ** 2 + (x - 0.3) * (y - 0.6);
    const pts: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        pts.push(i / 3, j / 3);
        values.push(q(i / 3, j / 3));
      }
    const center = Float64Array.from([0, 0]);
    const model = fitQuadratic(
      Float64Array.from(pts),
      values,
      values.map(() => 1),
      center,
      "full",
    );
    if (model === undefined) throw new Error("no model");
    expect(isConvex(model)).toBe(true);
    const x = minimizeInBox(model, [0, 0], [1, 1]);
    expect(x[0]).toBeCloseTo(0.3, 5);
    expect(x[1]).toBeCloseTo(0.6, 5);
    // Inside a box that excludes the minimum it stops on the box, lower than the centre.
    const boxed = minimizeInBox(model, [0, 0], [0.2, 1]);
    expect(boxed[0]).toBeCloseTo(0.2, 9);
    expect(modelValue(model, boxed)).toBeLessThan(modelValue(model, center));
  });

  it("gives no model when the points cannot determine it (degenerate: collinear)", () => {
    const pts = Float64Array.from([
      0, 0, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.5, 0.5, 0.7, 0.7, 0.9, 0.9,
    ]);
    const values = [0, 1, 2, 3, 4, 5, 6];
    const weights = values.map(() => 1);
    const center = Float64Array.from([0, 0]);
    expect(fitQuadratic(pts, values, weights, center, "full")).toBeUndefined();
    expect(fitQuadratic(pts, values, weights, center, "separable")).toBeUndefined();
    // Fewer points than unknowns: none either.
    expect(fitQuadratic(pts.slice(0, 4), [0, 1], [1, 1], center, "separable")).toBeUndefined();
  });
});

describe("TPE responseSurface", () => {
  it("is on by default with one metric (every 5th ask, the best half)", () => {
    expect(TPE_DEFAULTS.responseSurface).toEqual({ every: 5, fraction: 0.5 });
    const off = run(box3(), sphere, { responseSurface: false }, 40).configs;
    expect(run(box3(), sphere, {}, 40).configs).not.toEqual(off);
  });

  it("finds a sphere's and a rotated ellipsoid's minimum in a few dozen trials", () => {
    const surface = { responseSurface: { every: 2 } };
    for (const f of [sphere, ellipsoid]) {
      const withStep = run(box3(), f, surface, 40).best;
      expect(withStep).toBeLessThan(1e-6);
      expect(run(box3(), f, { responseSurface: false }, 40).best).toBeGreaterThan(1e3 * withStep);
    }
  });

  it("rounds integers and keeps the bounds, even when the model's minimum lies outside them", () => {
    const s = space({ n: int(-10, 10), r: float(0, 1) });
    // The minimum is at n = 3.3 (not an integer) and r = 2 (beyond the bound 1).
    const loss = (c: Config) => ((c.n as number) - 3.3) ** 2 + ((c.r as number) - 2) ** 2;
    const { configs, best } = run(s, loss, { responseSurface: { every: 2, fraction: 1 } }, 40);
    for (const c of configs) {
      expect(Number.isInteger(c.n)).toBe(true);
      expect(s.contains(c)).toBe(true);
    }
    expect(best).toBeCloseTo((3 - 3.3) ** 2 + 1, 6); // n = 3, r = 1
  });

  it("takes categorical and conditional parameters from TPE's own proposal", () => {
    const s = space({
      kind: categorical(["a", "b"]),
      x: float(-5, 5),
      y: float(-5, 5),
      z: float(0, 1, { when: { kind: "b" } }),
    });
    const loss = (c: Config) =>
      ((c.x as number) - 1) ** 2 + ((c.y as number) + 1) ** 2 + (c.kind === "a" ? 0 : 1);
    const { configs, best } = run(s, loss, { responseSurface: { every: 2 } }, 60);
    for (const c of configs) expect(s.contains(c)).toBe(true);
    expect(best).toBeLessThan(1e-4);
    // A space with no numeric parameter: no step, TPE as without the option.
    const choices = space({ k: categorical(["p", "q", "r"]), m: categorical([1, 2, 3]) });
    const pick = (c: Config) => (c.k === "q" ? 0 : 1) + (c.m === 2 ? 0 : 1);
    const plain = run(choices, pick, { responseSurface: false }, 25).configs;
    expect(run(choices, pick, { responseSurface: { every: 1 } }, 25).configs).toEqual(plain);
  });

  it("falls back to TPE on a degenerate fit (a flat objective): distinct, valid configs", () => {
    const s = box3();
    const { configs } = run(s, () => 1, { responseSurface: { every: 1, margin: 0 } }, 40);
    const keys = new Set(configs.map((c) => JSON.stringify(c)));
    expect(keys.size).toBe(40);
    for (const c of configs) expect(s.contains(c)).toBe(true);
  });

  it("changes nothing before enough trials, and nothing with several metrics (MOTPE)", () => {
    const early = { responseSurface: { every: 1, margin: 100 } }; // never enough trials
    const off = { responseSurface: false } as const;
    expect(run(box3(), sphere, early, 30).configs).toEqual(run(box3(), sphere, off, 30).configs);
    const two = [new Metric("f"), new Metric("g")];
    const motpe = (options: Partial<TPEOptions>) => {
      const tpe = new TPE({ space: box3(), metrics: two, seed: 5, ...options });
      const out: Config[] = [];
      for (let i = 0; i < 25; i++) {
        const t = tpe.ask();
        out.push(t.config as Config);
        tpe.tell(t.success({ f: sphere(t.config as Config), g: (t.config.a as number) ** 2 }));
      }
      return out;
    };
    expect(motpe({ responseSurface: { every: 1 } })).toEqual(motpe({ responseSurface: false }));
  });

  it.each([
    { every: 0 },
    { every: 2.5 },
    { every: 3, fraction: 0 },
    { every: 3, fraction: 1.5 },
    { every: 3, model: "cubic" },
    { every: 3, margin: -1 },
    { every: 3, values: "log" },
  ])("refuses responseSurface %j with an OptionError naming it", (bad) => {
    const make = () =>
      new TPE({
        space: box3(),
        metrics,
        responseSurface: bad as TPEOptions["responseSurface"],
      });
    expect(make).toThrow(OptionError);
    expect(make).toThrow(/responseSurface/);
  });
});
