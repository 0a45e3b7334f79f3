import { describe, expect, it } from "vitest";
import { OptionError } from "../../shared/options.js";
import { Metric } from "../../trial/metric.js";
import { Rng } from "../rng.js";
import { categorical, float, int } from "../space/builders.js";
import { space } from "../space/search-space.js";
import { incumbentCount, tightness } from "./incumbent-share.js";
import { latinHypercube, MAXIMIN_TRIES, maximin, smallestGap } from "./startup-design.js";
import { TPE, TPE_DEFAULTS } from "./tpe.js";

const metrics = new Metric("loss");
const box = () => space({ x: float(0, 1), y: float(-5, 5), k: int(1, 10) });

/** The first `n` asks of `tpe`, each told a constant loss. */
function firstConfigs(tpe: TPE, n: number) {
  return Array.from({ length: n }, () => {
    const t = tpe.ask();
    tpe.tell(t.success({ loss: 1 }));
    return t.config;
  });
}

describe("TPE start-up designs", () => {
  it("a Latin hypercube puts one point in each of the n strata of every coordinate", () => {
    const n = 7;
    const d = 3;
    const points = latinHypercube(n, d, new Rng(3));
    for (let j = 0; j < d; j++) {
      const strata = Array.from({ length: n }, (_, i) => Math.floor(points[i * d + j] * n));
      expect(strata.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    }
  });

  it('"lhs" start-up trials cover every tenth of each float range once, then the model takes over', () => {
    const tpe = new TPE({ space: box(), metrics, seed: 5, startupDesign: "lhs" });
    const configs = firstConfigs(tpe, 12);
    const tenths = configs.slice(0, 10).map((c) => Math.floor((c.x as number) * 10));
    expect(tenths.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const ints = configs.slice(0, 10).map((c) => c.k as number);
    expect(new Set(ints).size).toBeGreaterThanOrEqual(9); // 10 strata over 10 values (rounding)
    for (const c of configs) expect(box().validate(c)).toEqual(c);
  });

  it('"maximin" keeps the most spread of several Latin hypercubes', () => {
    expect(MAXIMIN_TRIES).toBeGreaterThan(1);
    for (const seed of [1, 2, 3]) {
      // The same generator: maximin's first hypercube is the plain one.
      const plain = smallestGap(latinHypercube(10, 3, new Rng(seed)), 10, 3);
      expect(smallestGap(maximin(10, 3, new Rng(seed)), 10, 3)).toBeGreaterThan(plain);
    }
  });

  it("balances categorical choices and never gives an inactive conditional parameter", () => {
    const s = space({
      model: categorical(["svm", "rf"]),
      C: float(1e-3, 1e3, { log: true, when: { model: "svm" } }),
      depth: int(1, 20, { when: { model: "rf" } }),
    });
    const tpe = new TPE({ space: s, metrics, seed: 2, startupDesign: "maximin" });
    const configs = firstConfigs(tpe, 10);
    expect(configs.filter((c) => c.model === "svm")).toHaveLength(5);
    for (const c of configs) {
      expect(Object.hasOwn(c, "C")).toBe(c.model === "svm");
      expect(Object.hasOwn(c, "depth")).toBe(c.model === "rf");
    }
  });

  it("parallel start-up asks take the design's points in turn, without repeats", () => {
    const tpe = new TPE({ space: box(), metrics, seed: 4, startupDesign: "lhs" });
    const batch = tpe.ask(10);
    const tenths = batch.map((t) => Math.floor((t.config.x as number) * 10));
    expect(tenths.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('defaults to "random" (independent draws, Optuna\'s) and refuses unknown designs', () => {
    expect(TPE_DEFAULTS.startupDesign).toBe("random");
    const same = (a: TPE, b: TPE) => expect(firstConfigs(a, 10)).toEqual(firstConfigs(b, 10));
    same(
      new TPE({ space: box(), metrics, seed: 9 }),
      new TPE({ space: box(), metrics, seed: 9, startupDesign: "random" }),
    );
    const make = () =>
      new TPE({ space: box(), metrics, startupDesign: "sobol" as unknown as "lhs" });
    expect(make).toThrow(OptionError);
    expect(make).toThrow(/startupDesign.*"sobol"/);
  });
});

describe("TPE incumbent share", () => {
  it("tightness is the weighted share of other good trials within the radius", () => {
    // Incumbent at (0.5, 0.5); widths 0.1: one trial 0.05 away (near), one 0.5 away (far).
    const rows = new Float64Array([0.5, 0.5, 0.55, 0.5, 0.5, 1]);
    const widths = new Float64Array([0.1, 0.1]);
    expect(tightness(rows, [1, 1, 1], 0, widths, 1)).toBe(0.5);
    expect(tightness(rows, [1, 3, 1], 0, widths, 1)).toBe(0.75);
    expect(tightness(rows, [1, 1, 1], 0, widths, 10)).toBe(1);
    expect(tightness(rows.subarray(0, 2), [1], 0, widths, 1)).toBeUndefined();
    expect(incumbentCount(24, { radius: 1, low: 0.25, high: 2 }, 0)).toBe(6);
    expect(incumbentCount(24, { radius: 1, low: 0.25, high: 2 }, 1)).toBe(48);
    expect(incumbentCount(24, { radius: 1, low: 0.25, high: 2 }, undefined)).toBe(24);
  });

  it("is off by default, runs when set, and refuses bad values with an OptionError", () => {
    expect(TPE_DEFAULTS.incumbentShare).toBe(false);
    const tpe = new TPE({
      space: box(),
      metrics,
      seed: 1,
      incumbentShare: { radius: 0.5, low: 0.25, high: 2 },
    });
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 40; i++) {
      const t = tpe.ask();
      const y = ((t.config.x as number) - 0.3) ** 2 + ((t.config.y as number) / 10) ** 2;
      best = Math.min(best, y);
      tpe.tell(t.success({ loss: y }));
    }
    expect(best).toBeLessThan(0.01);
    for (const bad of [
      { radius: 0, low: 1, high: 1 },
      { radius: 1, low: -1, high: 1 },
      { radius: 1, low: 1, high: Number.NaN },
    ]) {
      const make = () => new TPE({ space: box(), metrics, incumbentShare: bad });
      expect(make).toThrow(OptionError);
      expect(make).toThrow(/incumbentShare/);
    }
  });
});
