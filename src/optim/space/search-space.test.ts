import { describe, expect, it } from "vitest";
import { Rng } from "../rng.js";
import type { Param } from "../types.js";
import { categorical, constant, float, int } from "./builders.js";
import { fromUnit, inDomain, toUnit } from "./distribution.js";
import { SpaceError } from "./errors.js";
import { SearchSpace, space } from "./search-space.js";

function caught(fn: () => unknown): SpaceError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SpaceError);
    return e as SpaceError;
  }
  throw new Error("expected a SpaceError");
}

const svmRf = () =>
  space({
    kind: categorical(["svm", "rf"]),
    C: float(1e-3, 1e3, { log: true, when: { kind: ["svm"] } }),
    kernel: categorical(["linear", "rbf"], { when: { kind: "svm" } }),
    gamma: float(1e-4, 1, { log: true, when: { kernel: "rbf" } }),
    trees: int(10, 500, { log: true, when: { kind: "rf" } }),
    seed: constant(7),
  });

describe("bad spaces are rejected with a SpaceError naming the param and the value", () => {
  it.each([
    ["low above high", () => space({ x: float(1, 0) }), "x", [1, 0], /low < high/],
    ["low equal high", () => space({ x: int(3, 3) }), "x", [3, 3], /low < high/],
    ["no choices", () => space({ c: categorical([]) }), "c", [], /at least one choice/],
    [
      "log with zero low",
      () => space({ lr: float(0, 1, { log: true }) }),
      "lr",
      [0, 1],
      /positive/,
    ],
    [
      "log with negative low",
      () => space({ n: int(-4, 8, { log: true }) }),
      "n",
      [-4, 8],
      /positive/,
    ],
    [
      "non-finite bound",
      () => space({ x: float(0, Number.POSITIVE_INFINITY) }),
      "x",
      Infinity,
      /finite/,
    ],
    ["NaN bound", () => space({ x: float(Number.NaN, 1) }), "x", Number.NaN, /finite/],
    [
      "step not dividing",
      () => space({ x: float(0, 1, { step: 0.3 }) }),
      "x",
      0.3,
      /does not divide/,
    ],
    [
      "int step not dividing",
      () => space({ x: int(0, 10, { step: 3 }) }),
      "x",
      3,
      /does not divide/,
    ],
    ["non-integer int bounds", () => space({ x: int(0.5, 3) }), "x", [0.5, 3], /integers/],
    ["step with log", () => space({ x: float(1, 2, { log: true, step: 0.5 }) }), "x", 0.5, /log/],
    ["duplicate choice", () => space({ c: categorical(["a", "a"]) }), "c", "a", /twice/],
    ["default outside", () => space({ x: float(0, 1, { default: 2 }) }), "x", 2, /default/],
    [
      "unknown parent",
      () => space({ x: float(0, 1, { when: { nope: "a" } }) }),
      "x",
      "nope",
      /unknown parent/,
    ],
    [
      "value parent can't take",
      () => space({ k: categorical(["a"]), x: float(0, 1, { when: { k: "b" } }) }),
      "x",
      "b",
      /not a value/,
    ],
    [
      "two parents in when",
      () =>
        space({
          a: categorical([1]),
          b: categorical([1]),
          x: constant(1, { when: { a: 1, b: 1 } }),
        }),
      "x",
      undefined,
      /exactly one parent/,
    ],
  ])("%s", (_label, build, param, value, message) => {
    const e = caught(build);
    expect(e.param).toBe(param);
    if (value !== undefined) expect(e.value).toEqual(value);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`"${param}"`);
  });

  it("a cycle of conditions", () => {
    const e = caught(() =>
      space({
        a: categorical([1, 2], { when: { b: 1 } }),
        b: categorical([1, 2], { when: { a: 1 } }),
      }),
    );
    expect(e.message).toMatch(/cycle/);
    expect(e.value).toEqual(["a", "b"]);
  });

  it("a self-condition and duplicate names (Param[] form)", () => {
    const dist = { type: "categorical", choices: [1] } as const;
    expect(
      caught(() => new SearchSpace([{ name: "a", dist, condition: { parent: "a", values: [1] } }]))
        .message,
    ).toMatch(/itself/);
    expect(
      caught(
        () =>
          new SearchSpace([
            { name: "a", dist },
            { name: "a", dist },
          ]),
      ).message,
    ).toMatch(/twice/);
  });
});

describe("SearchSpace", () => {
  it("orders parents before children, keeping declaration order otherwise", () => {
    const s = space({
      gamma: float(1e-4, 1, { log: true, when: { kernel: "rbf" } }),
      kernel: categorical(["linear", "rbf"], { when: { kind: "svm" } }),
      x: float(0, 1),
      kind: categorical(["svm", "rf"]),
    });
    expect(s.names).toEqual(["x", "kind", "kernel", "gamma"]);
  });

  it("inactive conditional parameters never appear (chained conditions)", () => {
    const s = svmRf();
    const rng = new Rng(3);
    const seen = { C: 0, trees: 0, gamma: 0 };
    for (let i = 0; i < 2000; i++) {
      const c = s.sample(rng);
      expect(s.validate(c)).toBe(c);
      expect(c.seed).toBe(7);
      if (c.kind === "svm") {
        expect(c).not.toHaveProperty("trees");
        expect(typeof c.C).toBe("number");
        if (c.kernel === "rbf") seen.gamma++;
        else expect(c).not.toHaveProperty("gamma");
      } else {
        expect(Object.keys(c).sort()).toEqual(["kind", "seed", "trees"]);
      }
      for (const k of Object.keys(c) as (keyof typeof seen)[]) if (k in seen) seen[k]++;
    }
    expect(seen.C).toBeGreaterThan(800);
    expect(seen.trees).toBeGreaterThan(800);
    expect(seen.gamma).toBeGreaterThan(300);
  });

  it("isActive follows the whole chain", () => {
    const s = svmRf();
    expect(s.isActive("gamma", { kind: "svm", kernel: "rbf" })).toBe(true);
    expect(s.isActive("gamma", { kind: "rf", kernel: "rbf" })).toBe(false);
    expect(s.isActive("C", { kind: "rf" })).toBe(false);
    expect(s.isActive("kind", {})).toBe(true);
  });

  it("validate names the param and the value", () => {
    const s = svmRf();
    const outside = caught(() => s.validate({ kind: "svm", kernel: "linear", C: 5000, seed: 7 }));
    expect([outside.param, outside.value]).toEqual(["C", 5000]);
    expect(outside.message).toMatch(/"C".*5000/);
    const inactive = caught(() => s.validate({ kind: "rf", trees: 10, C: 1, seed: 7 }));
    expect([inactive.param, inactive.value]).toEqual(["C", 1]);
    expect(caught(() => s.validate({ kind: "rf", seed: 7 })).param).toBe("trees");
    expect(caught(() => s.validate({ kind: "rf", trees: 10.5, seed: 7 })).param).toBe("trees");
    expect(caught(() => s.validate({ kind: "rf", trees: 10, seed: 7, zzz: 1 })).param).toBe("zzz");
    expect(caught(() => s.validate({ kind: "knn", seed: 7 })).value).toBe("knn");
    expect(s.contains({ kind: "rf", trees: 10, seed: 7 })).toBe(true);
  });

  it("defaults use given defaults, else the middle of the scale or the first choice", () => {
    const s = space({
      kind: categorical(["svm", "rf"], { default: "rf" }),
      trees: int(10, 1000, { log: true, when: { kind: "rf" } }),
      C: float(1, 2, { when: { kind: "svm" } }),
      depth: int(1, 9, { default: 3 }),
      lr: float(1e-4, 1, { log: true }),
    });
    const d = s.defaults();
    expect(s.validate(d)).toBe(d);
    expect(d.kind).toBe("rf");
    expect(d.trees as number).toBeGreaterThanOrEqual(90); // geometric middle, half-step padded
    expect(d.trees as number).toBeLessThanOrEqual(110);
    expect(d).not.toHaveProperty("C");
    expect(d.depth).toBe(3);
    expect(d.lr as number).toBeCloseTo(1e-2, 10);
  });

  it("JSON round trip keeps params, order, conditions and sampling", () => {
    const s = svmRf();
    const back = SearchSpace.fromJSON(JSON.stringify(s));
    expect(back.params).toEqual(s.params);
    const a = new Rng(9);
    const b = new Rng(9);
    for (let i = 0; i < 50; i++) expect(back.sample(b)).toEqual(s.sample(a));
    expect(() =>
      SearchSpace.fromJSON({
        params: [{ name: "x", dist: { type: "float", low: 2, high: 1, log: false } } as Param],
      }),
    ).toThrow(SpaceError);
    expect(() => SearchSpace.fromJSON("{}")).toThrow(/params/);
    const withDefaults = space({
      drop: float(0, 0.5, { step: 0.1, default: 0.2 }),
      n: int(2, 64, { log: true, default: 8 }),
      act: categorical(["relu", null, 1, false], { default: null }),
    });
    const again = SearchSpace.fromJSON(JSON.parse(JSON.stringify(withDefaults)));
    expect(again.params).toEqual(withDefaults.params);
    expect(again.defaults()).toEqual({ drop: 0.2, n: 8, act: null });
  });

  it("hand-written params may leave out log and int step; the space keeps its own frozen copy", () => {
    const dist = { type: "int", low: 1, high: 4 } as unknown as Param["dist"];
    const s = new SearchSpace([{ name: "n", dist }]);
    expect(s.get("n").dist).toEqual({ type: "int", low: 1, high: 4, log: false, step: 1 });
    (dist as { high: number }).high = 100;
    expect((s.get("n").dist as { high: number }).high).toBe(4);
    expect(Object.isFrozen(s.get("n"))).toBe(true);
  });

  it("repair keeps valid values, drops inactive ones, fills missing", () => {
    const s = svmRf();
    const c = s.repair({ kind: "rf", C: 3, kernel: "rbf", trees: 20 }, new Rng(1));
    expect(c).toEqual({ kind: "rf", trees: 20, seed: 7 });
    const d = s.repair({ kind: "svm", C: 1e9 }, new Rng(1));
    expect(s.validate(d)).toBe(d);
    expect(d.C).not.toBe(1e9);
  });
});

describe("unit mapping", () => {
  it("log floats map the geometric middle to 0.5 and round trip", () => {
    const d = { type: "float", low: 1e-3, high: 1e3, log: true } as const;
    expect(toUnit(d, 1)).toBeCloseTo(0.5, 12);
    for (const u of [0, 0.1, 0.37, 0.9, 1])
      expect(toUnit(d, fromUnit(d, u) as number)).toBeCloseTo(u, 9);
    expect(fromUnit(d, 0)).toBe(1e-3);
    expect(fromUnit(d, 1)).toBe(1e3);
  });

  it("ints and stepped floats snap to the grid, every value reachable with equal share", () => {
    const d = { type: "int", low: 0, high: 4, log: false, step: 2 } as const;
    const counts = new Map<unknown, number>();
    for (let i = 0; i < 300; i++) {
      const v = fromUnit(d, (i + 0.5) / 300);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect([...counts.entries()].sort()).toEqual([
      [0, 100],
      [2, 100],
      [4, 100],
    ]);
    const f = { type: "float", low: 0, high: 1, log: false, step: 0.1 } as const;
    expect(fromUnit(f, 0.3)).toBe(0.3);
    for (let i = 0; i <= 10; i++) expect(inDomain(f, fromUnit(f, i / 10))).toBe(true);
    const li = { type: "int", low: 1, high: 1000, log: true, step: 1 } as const;
    expect(fromUnit(li, 0)).toBe(1);
    expect(fromUnit(li, 1)).toBe(1000);
    expect(Number.isInteger(fromUnit(li, 0.4321))).toBe(true);
  });

  it("categoricals map to slot middles; the space names the param on errors", () => {
    const s = svmRf();
    expect(s.toUnit("kind", "rf")).toBe(0.75);
    expect(s.fromUnit("kind", 0.2)).toBe("svm");
    const e = caught(() => s.toUnit("kind", "knn"));
    expect([e.param, e.value]).toEqual(["kind", "knn"]);
    expect(caught(() => s.get("nope")).param).toBe("nope");
  });
});
