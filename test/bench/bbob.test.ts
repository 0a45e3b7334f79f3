import { describe, expect, it } from "vitest";
import { BBOB, bbobProblem } from "../../bench/bbob/functions.js";
import { mannWhitney, testSuite, trainingSuite, verdict } from "../../bench/bbob/harness.js";
import { Instance } from "../../bench/bbob/transforms.js";

/** Functions whose minimum lies at the instance's x_opt (the others place it elsewhere). */
const AT_XOPT = [1, 2, 3, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 23];

describe("BBOB functions", () => {
  it("f(x_opt) = f_opt where the definitions put the optimum at x_opt", () => {
    for (const fid of AT_XOPT)
      for (const d of [2, 5]) {
        const p = bbobProblem(fid, d, 1);
        expect(Math.abs(p.regret([...new Instance(fid, d, 1).xopt])), p.name).toBeLessThan(1e-9);
      }
  });

  it("no point beats f_opt (regret >= 0) on any of the 24, in 2 and 5 dimensions", () => {
    let s = 12345;
    const next = () => {
      s = (s * 16807) % 2147483647;
      return -5 + (10 * s) / 2147483647;
    };
    for (const { id } of BBOB)
      for (const d of [2, 5]) {
        const p = bbobProblem(id, d, 2);
        for (let k = 0; k < 150; k++)
          expect(p.regret(Array.from({ length: d }, next)), p.name).toBeGreaterThan(-1e-9);
      }
  });

  it("an instance is the same problem every time; other instances differ", () => {
    const x = [0.3, -1.2, 2.5];
    for (const { id } of BBOB) {
      expect(bbobProblem(id, 3, 1).f(x)).toBe(bbobProblem(id, 3, 1).f(x));
      expect(bbobProblem(id, 3, 2).f(x)).not.toBe(bbobProblem(id, 3, 1).f(x));
    }
  });

  it("the training and test suites share no problem", () => {
    const train = new Set(trainingSuite().map((p) => p.name));
    const test = testSuite().map((p) => p.name);
    expect(train.size).toBe(24 * 2 * 2);
    expect(test.filter((n) => train.has(n))).toEqual([]);
  });
});

describe("Mann-Whitney U", () => {
  it("no difference between equal samples; a clear one between separated samples", () => {
    const a = Array.from({ length: 15 }, (_, i) => i);
    expect(mannWhitney(a, [...a])).toBeCloseTo(1, 6);
    const b = a.map((v) => v + 100);
    expect(mannWhitney(a, b)).toBeLessThan(1e-4);
    expect(verdict(a, b)).toBe("win");
    expect(verdict(b, a)).toBe("loss");
    expect(
      verdict(
        a,
        a.map((v) => v + 0.5),
      ),
    ).toBe("tie");
  });
});
