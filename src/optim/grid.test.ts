import { describe, expect, it } from "vitest";
import { Metric } from "../trial/metric.js";
import { OptimizerExhaustedError } from "./base-optimizer.js";
import { GridSearch, gridValues } from "./grid.js";
import { categorical, constant, float, int } from "./space/builders.js";
import { SpaceError } from "./space/errors.js";
import { configKey } from "./space/key.js";
import { space } from "./space/search-space.js";

const loss = new Metric("loss");

describe("gridValues", () => {
  it("log-spaces log floats, lists small discrete domains, snaps large ones", () => {
    const lr = gridValues(
      { name: "lr", dist: { type: "float", low: 1e-3, high: 1e-1, log: true } },
      3,
    );
    expect(lr[0]).toBe(1e-3);
    expect(lr[1] as number).toBeCloseTo(1e-2, 10);
    expect(lr[2]).toBe(1e-1);
    expect(
      gridValues({ name: "n", dist: { type: "int", low: 0, high: 8, log: false, step: 2 } }, 10),
    ).toEqual([0, 2, 4, 6, 8]);
    expect(
      gridValues({ name: "n", dist: { type: "int", low: 0, high: 100, log: false, step: 1 } }, 3),
    ).toEqual([0, 50, 100]);
    expect(
      gridValues({ name: "x", dist: { type: "float", low: 0, high: 1, log: false } }, 1),
    ).toEqual([0.5]);
  });
});

describe("GridSearch", () => {
  it("enumerates conditional grids: children only under the parent values that activate them", () => {
    const s = space({
      kind: categorical(["svm", "rf"]),
      C: float(0.1, 10, { log: true, when: { kind: "svm" } }),
      kernel: categorical(["lin", "rbf"], { when: { kind: "svm" } }),
      gamma: float(0, 1, { when: { kernel: "rbf" } }),
      trees: int(10, 100, { when: { kind: "rf" } }),
      fixed: constant("x"),
    });
    const opt = new GridSearch({ space: s, metrics: loss, resolution: 3, points: { trees: 2 } });
    // svm: C(3) x [lin + rbf x gamma(3)] = 3 x 4 = 12; rf: trees(2) = 2
    expect(opt.size).toBe(14);
    const trials = opt.ask(20);
    expect(trials).toHaveLength(14);
    expect(new Set(trials.map((t) => configKey(t.config as never))).size).toBe(14);
    for (const t of trials) s.validate(t.config);
    expect(trials.filter((t) => t.config.kind === "rf").map((t) => t.config.trees)).toEqual([
      10, 100,
    ]);
    expect(opt.exhausted).toBe(true);
    expect(opt.ask(2)).toEqual([]);
    expect(() => opt.ask()).toThrow(OptimizerExhaustedError);
  });

  it("hands out the grid in order across asks; shuffle is seeded", () => {
    const s = space({ a: int(0, 3), b: categorical(["x", "y"]) });
    const opt = new GridSearch({ space: s, metrics: loss });
    const first = opt.ask();
    const rest = opt.ask(3);
    expect(first.config).toEqual({ a: 0, b: "x" });
    expect(rest.map((t) => t.config)).toEqual([
      { a: 0, b: "y" },
      { a: 1, b: "x" },
      { a: 1, b: "y" },
    ]);
    expect(opt.remaining).toBe(4);
    const order = (seed: number) =>
      new GridSearch({ space: s, metrics: loss, shuffle: true, seed })
        .ask(8)
        .map((t) => configKey(t.config as never));
    expect(order(5)).toEqual(order(5));
    expect(order(5)).not.toEqual(order(6));
    expect(new Set(order(5)).size).toBe(8);
  });

  it("rejects bad resolution, unknown points and oversized grids", () => {
    const s = space({ a: float(0, 1), b: float(0, 1) });
    expect(() => new GridSearch({ space: s, metrics: loss, resolution: 0 })).toThrow(/resolution/);
    expect(() => new GridSearch({ space: s, metrics: loss, points: { zz: 3 } })).toThrow(
      SpaceError,
    );
    expect(
      () => new GridSearch({ space: s, metrics: loss, resolution: 100, maxPoints: 1000 }),
    ).toThrow(/more than 1000/);
  });
});
