import { describe, expect, it } from "vitest";
import { OptionError } from "../../shared/options.js";
import { Metric } from "../../trial/metric.js";
import { categorical, float } from "../space/builders.js";
import { space } from "../space/search-space.js";
import { sphereAsks } from "./sphere-asks.test-helpers.js";
import { TPE, type TPEOptions } from "./tpe.js";

const metrics = new Metric("loss");
const box = () => space({ x: float(-5, 5), y: float(-5, 5) });

const run = (options: Partial<TPEOptions>) => sphereAsks(options, 4);

describe("TPE goodPriorWeight (the prior's weight in l(x) only)", () => {
  it("unset or equal to priorWeight changes nothing; another weight changes the model's asks", () => {
    const plain = run({});
    expect(run({ goodPriorWeight: 0.25 })).toEqual(plain); // the one-metric default
    expect(run({ priorWeight: 1, goodPriorWeight: 1 })).toEqual(run({ priorWeight: 1 }));
    expect(run({ priorWeight: 0.5, goodPriorWeight: 0.5 })).toEqual(run({ priorWeight: 0.5 }));
    const sharper = run({ goodPriorWeight: 0.0625 });
    expect(sharper.slice(0, 10)).toEqual(plain.slice(0, 10)); // start-up trials: no model
    expect(sharper.slice(10)).not.toEqual(plain.slice(10));
    expect(Math.min(...sharper.slice(20).map((x) => Math.abs(x - 1)))).toBeLessThan(0.5);
  });

  it("the prior weighs 0.25 by default with one metric (round 8) and 1 with several (MOTPE)", () => {
    expect(run({})).toEqual(run({ priorWeight: 0.25 }));
    expect(run({})).not.toEqual(run({ priorWeight: 1 }));
    const motpe = (options: Partial<TPEOptions>) => {
      const tpe = new TPE({
        space: box(),
        metrics: [new Metric("a"), new Metric("b")],
        seed: 2,
        ...options,
      });
      const xs: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = tpe.ask();
        const x = t.config.x as number;
        const y = t.config.y as number;
        xs.push(x);
        tpe.tell(t.success({ a: (x - 1) ** 2 + y ** 2, b: (x + 1) ** 2 + y ** 2 }));
      }
      return xs;
    };
    expect(motpe({})).toEqual(motpe({ priorWeight: 1 }));
    expect(motpe({})).not.toEqual(motpe({ priorWeight: 0.25 }));
  });

  it("by default categorical choices keep a smoothing of 1 (an explicit priorWeight sets it)", () => {
    const mixed = space({ x: float(-5, 5), c: categorical(["a", "b", "c", "d"]) });
    const choices = (options: Partial<TPEOptions>) => {
      const tpe = new TPE({ space: mixed, metrics, seed: 6, ...options });
      const out: string[] = [];
      for (let i = 0; i < 40; i++) {
        const t = tpe.ask();
        out.push(t.config.c as string);
        tpe.tell(
          t.success({ loss: ((t.config.x as number) - 1) ** 2 + (t.config.c === "c" ? 0 : 1) }),
        );
      }
      return out;
    };
    const byDefault = choices({});
    expect(byDefault.slice(30)).toContain("c");
    // Explicit 0.25 also smooths the choices by 0.25, so the model's asks differ.
    expect(choices({ priorWeight: 0.25 }).slice(10)).not.toEqual(byDefault.slice(10));
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])(
    "refuses goodPriorWeight %s with an OptionError naming it",
    (bad) => {
      const make = () => new TPE({ space: box(), metrics, goodPriorWeight: bad });
      expect(make).toThrow(OptionError);
      expect(make).toThrow(/goodPriorWeight/);
    },
  );
});
