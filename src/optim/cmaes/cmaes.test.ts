import { describe, expect, it } from "vitest";
import { OptionError } from "../../shared/options.js";
import { Metric } from "../../trial/metric.js";
import { RandomSearch } from "../random.js";
import { categorical, float, int } from "../space/builders.js";
import { space } from "../space/search-space.js";
import type { Optimizer } from "../types.js";
import { CmaEs } from "./cmaes.js";
import { symmetricEigen } from "./eigen.js";

const loss = new Metric("loss");
const box = (d: number) =>
  space(Object.fromEntries(Array.from({ length: d }, (_, i) => [`x${i}`, float(-5, 5)])));
const xs = (c: Record<string, unknown>) =>
  Object.keys(c)
    .filter((k) => k.startsWith("x"))
    .map((k) => c[k] as number);
/** A rotated, ill-conditioned ellipsoid around (1, ..., 1): what CMA-ES learns its covariance for. */
const ellipsoid = (c: Record<string, unknown>) => {
  const x = xs(c).map((v) => v - 1);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const r = i + 1 < x.length ? (x[i] + x[i + 1]) / Math.SQRT2 : x[i];
    s += 10 ** ((3 * i) / Math.max(1, x.length - 1)) * r * r;
  }
  return s;
};

function bestOf(opt: Optimizer, n: number, f: (c: Record<string, unknown>) => number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t = opt.ask();
    const y = f(t.config);
    best = Math.min(best, y);
    opt.tell(t.success({ loss: y }));
  }
  return best;
}

describe("CmaEs", () => {
  it("eigen-decomposes a symmetric matrix (A = V diag(λ) Vᵀ)", () => {
    const a = Float64Array.from([4, 1, 2, 1, 3, 0.5, 2, 0.5, 5]);
    const { values, vectors } = symmetricEigen(a, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += vectors[i * 3 + k] * values[k] * vectors[j * 3 + k];
        expect(s).toBeCloseTo(a[i * 3 + j], 10);
      }
  });

  it("same seed, same trials; beats random search on a rotated ellipsoid in 5-d", () => {
    const run = (seed: number) => {
      const opt = new CmaEs({ space: box(5), metrics: loss, seed });
      bestOf(opt, 30, ellipsoid);
      return opt.ask(3).map((t) => t.config);
    };
    expect(run(3)).toEqual(run(3));
    expect(run(4)).not.toEqual(run(3));
    const cma = [0, 1, 2].map((seed) =>
      bestOf(new CmaEs({ space: box(5), metrics: loss, seed }), 300, ellipsoid),
    );
    const rs = [0, 1, 2].map((seed) =>
      bestOf(new RandomSearch({ space: box(5), metrics: loss, seed }), 300, ellipsoid),
    );
    for (let k = 0; k < 3; k++) expect(cma[k]).toBeLessThan(rs[k] / 10);
  });

  it("restarts with a doubled population (IPOP) once a run converges", () => {
    const opt = new CmaEs({ space: box(2), metrics: loss, seed: 1 });
    expect(opt.populationSize).toBe(6); // 4 + ⌊3 ln 2⌋
    const best = bestOf(opt, 1500, ellipsoid);
    expect(best).toBeLessThan(1e-8);
    expect(opt.restarts).toBeGreaterThanOrEqual(1);
    expect(opt.populationSize).toBe(6 * 2 ** opt.restarts);
    expect(["tolX", "tolFun", "conditionCov"]).toContain(opt.lastStop);
    const none = new CmaEs({ space: box(2), metrics: loss, seed: 1, restartStrategy: "none" });
    bestOf(none, 600, ellipsoid);
    expect(none.restarts).toBe(0);
  });

  it("ints through CMA-ES; categorical and conditional parameters drawn independently", () => {
    const s = space({
      n: int(1, 64, { log: true }),
      x: float(-5, 5),
      kind: categorical(["a", "b"]),
      y: float(0, 1, { when: { kind: "b" } }),
    });
    const opt = new CmaEs({ space: s, metrics: loss, seed: 2 });
    expect(opt.cmaParams.map((p) => p.name)).toEqual(["n", "x"]);
    const f = (c: Record<string, unknown>) =>
      Math.log2(c.n as number) ** 2 / 10 + ((c.x as number) - 2) ** 2 + (c.kind === "a" ? 0 : 1);
    let best = { y: Number.POSITIVE_INFINITY, c: {} as Record<string, unknown> };
    for (let i = 0; i < 150; i++) {
      const t = opt.ask();
      expect(() => s.validate(t.config)).not.toThrow();
      const y = f(t.config);
      if (y < best.y) best = { y, c: t.config };
      opt.tell(i % 7 === 3 ? t.fail(new Error("flaky")) : t.success({ loss: y }));
    }
    expect(best.c.n).toBeLessThanOrEqual(2);
    expect(Math.abs((best.c.x as number) - 2)).toBeLessThan(0.2);
    // Parallel asks are distinct trials of the current generation.
    const batch = opt.ask(4);
    expect(new Set(batch.map((t) => t.name)).size).toBe(4);
  });

  it("rejects bad options with typed errors naming the value", () => {
    const bad = [
      [{ sigma0: 0 }, /sigma0 must be in \(0, 1\], got 0/],
      [{ populationSize: 1 }, /populationSize must be an integer >= 2, got 1/],
      [{ restartStrategy: "bipop" }, /restartStrategy must be "ipop" or "none", got bipop/],
      [{ incPopSize: 0.5 }, /incPopSize must be a finite number >= 1, got 0.5/],
      [{ popsize: 4 }, /popsize/],
    ] as const;
    for (const [extra, message] of bad) {
      const make = () => new CmaEs({ space: box(2), metrics: loss, ...(extra as object) });
      expect(make).toThrow(OptionError);
      expect(make).toThrow(message);
    }
    expect(() => new CmaEs({ space: box(2), metrics: [loss, new Metric("b")] })).toThrow(
      /one metric/,
    );
  });
});
