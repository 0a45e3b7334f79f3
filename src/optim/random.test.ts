import { describe, expect, it } from "vitest";
import { Metric } from "../trial/metric.js";
import { OptimizerExhaustedError } from "./base-optimizer.js";
import { RandomSearch } from "./random.js";
import { categorical, float, int } from "./space/builders.js";
import { configKey } from "./space/key.js";
import { space } from "./space/search-space.js";

const loss = new Metric("loss");
const mixed = () =>
  space({
    model: categorical(["svm", "rf", "knn"]),
    C: float(1e-3, 1e3, { log: true, when: { model: "svm" } }),
    trees: int(10, 500, { log: true, when: { model: "rf" } }),
    k: int(1, 30, { when: { model: "knn" } }),
    scale: categorical([true, false]),
  });

describe("RandomSearch", () => {
  it("same seed, same trials (names, configs, seeds); another seed differs", () => {
    const run = (seed: number) => {
      const opt = new RandomSearch({ space: mixed(), metrics: loss, seed });
      const trials = [opt.ask(), ...opt.ask(5)];
      opt.tell(trials[0].success({ loss: 1 }));
      trials.push(...opt.ask(3));
      return trials.map((t) => [t.name, t.config, t.seed]);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    expect(run(7).map(([n]) => n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `trial-000${i}`));
  });

  it("asks distinct, valid trials with only active params, carrying metrics and prefix", () => {
    const s = mixed();
    const opt = new RandomSearch({ space: s, metrics: [loss], seed: 1, prefix: "rs-" });
    const trials = opt.ask(300);
    expect(new Set(trials.map((t) => configKey(t.config as never))).size).toBe(300);
    for (const t of trials) {
      s.validate(t.config);
      expect(Object.keys(t.metrics)).toEqual(["loss"]);
      expect(t.name.startsWith("rs-")).toBe(true);
    }
    expect(opt.asked).toBe(300);
  });

  it("parallel asks on a small space give distinct points until it is used up", () => {
    const small = space({ a: categorical([1, 2, 3]), b: int(0, 3) });
    const opt = new RandomSearch({ space: small, metrics: loss, seed: 3 });
    const keys = opt.ask(12).map((t) => configKey(t.config as never));
    expect(new Set(keys).size).toBe(12);
    // past the space's size it repeats rather than failing
    expect(opt.ask(3)).toHaveLength(3);
  });

  it("records reports and rejects bad options and bad n", () => {
    const opt = new RandomSearch({ space: mixed(), metrics: loss });
    const t = opt.ask();
    opt.tell(t.fail(new Error("boom")));
    expect(opt.reports.map((r) => r.status)).toEqual(["fail"]);
    expect(() => opt.ask(-1)).toThrow(RangeError);
    expect(() => new RandomSearch({ space: {} as never, metrics: loss })).toThrow(/SearchSpace/);
    expect(() => new RandomSearch({ space: mixed(), metrics: [] })).toThrow(/at least one/);
    expect(() => new RandomSearch({ space: mixed(), metrics: [loss, loss] })).toThrow(/twice/);
    expect(OptimizerExhaustedError.name).toBe("OptimizerExhaustedError");
  });
});
