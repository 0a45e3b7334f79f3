import { describe, expect, it } from "vitest";
import { OptionError } from "../../shared/options.js";
import { Metric } from "../../trial/metric.js";
import { float } from "../space/builders.js";
import { space } from "../space/search-space.js";
import type { ParzenOptions } from "./parzen.js";
import { shrinkPrior } from "./prior-shrink.js";
import { sphereAsks } from "./sphere-asks.test-helpers.js";
import { TPE, type TPEOptions } from "./tpe.js";

const metrics = new Metric("loss");
const box = () => space({ x: float(-5, 5), y: float(-5, 5) });

const run = (options: Partial<TPEOptions>) => sphereAsks(options, 7);

const parzen = { priorWeight: 0.5, multivariate: true } as ParzenOptions;

describe("shrinkPrior (the prior's weight past `after` told trials)", () => {
  it("keeps the weights up to `after` trials and scales them by after / n past it", () => {
    expect(shrinkPrior(parzen, 0.25, undefined, 90)).toEqual({ parzen, goodPriorWeight: 0.25 });
    expect(shrinkPrior(parzen, 0.25, 30, 30)).toEqual({ parzen, goodPriorWeight: 0.25 });
    const late = shrinkPrior(parzen, 0.25, 30, 60);
    expect(late.parzen.priorWeight).toBeCloseTo(0.25);
    expect(late.goodPriorWeight).toBeCloseTo(0.125);
    // Categorical smoothing keeps the unshrunk weight.
    expect(late.parzen.choiceSmoothing).toBe(0.5);
    expect(shrinkPrior({ ...parzen, choiceSmoothing: 1 }, undefined, 30, 60)).toMatchObject({
      parzen: { priorWeight: 0.25, choiceSmoothing: 1 },
      goodPriorWeight: undefined,
    });
  });
});

describe("TPE priorShrink", () => {
  it("changes nothing until `after` trials are told, then changes the model's asks", () => {
    const plain = run({});
    expect(run({ priorShrink: 40 })).toEqual(plain); // never past 40 told trials
    const shrunk = run({ priorShrink: 15 });
    expect(shrunk.slice(0, 16)).toEqual(plain.slice(0, 16));
    expect(shrunk.slice(16)).not.toEqual(plain.slice(16));
  });

  it.each([0, -3, 2.5, Number.NaN, Number.POSITIVE_INFINITY])(
    "refuses priorShrink %s with an OptionError naming it",
    (bad) => {
      const make = () => new TPE({ space: box(), metrics, priorShrink: bad });
      expect(make).toThrow(OptionError);
      expect(make).toThrow(/priorShrink/);
    },
  );
});
