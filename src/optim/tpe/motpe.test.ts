import { describe, expect, it } from "vitest";
import { Metric } from "../../trial/metric.js";
import type { TrialReport } from "../../trial/report.js";
import { dominates, lossesOf, nonDominatedSort, paretoFront } from "../pareto.js";
import { RandomSearch } from "../random.js";
import { Rng } from "../rng.js";
import type { Optimizer } from "../types.js";
import { DIM, f1, f2, hv, zdt1, zdtSpace } from "../zdt1.test-helpers.js";
import { fronts2D } from "./fronts-2d.js";
import { split } from "./good-bad-split.js";
import { hypervolume, hypervolumeWeights, selectByHypervolume } from "./motpe.js";
import { TPE } from "./tpe.js";

/** Sequential ask/tell on ZDT1; every report, in order. */
function run(opt: Optimizer, trials: number): TrialReport[] {
  const reports: TrialReport[] = [];
  for (let i = 0; i < trials; i++) {
    const t = opt.ask();
    const r = t.success(zdt1(t.config));
    opt.tell(r);
    reports.push(r);
  }
  return reports;
}

describe("MOTPE on ZDT1", () => {
  it("finds a clearly better front than random search in 150 trials (3 seeds)", () => {
    for (const seed of [1, 2, 3]) {
      const hvT = hv(run(new TPE({ space: zdtSpace(), metrics: [f1, f2], seed }), 150));
      const hvR = hv(run(new RandomSearch({ space: zdtSpace(), metrics: [f1, f2], seed }), 150));
      // The true front's hypervolume is 1.1 · 11 − 1/3 ≈ 11.77 here; with these seeds MOTPE
      // reaches 11.30-11.40 and random search 9.44-10.04.
      expect(hvT).toBeGreaterThan(hvR + 0.8);
      expect(hvT).toBeGreaterThan(11);
    }
  });

  it("with 3 objectives (DTLZ2) also beats random search in 150 trials (3 seeds)", () => {
    const ms = [new Metric("a"), new Metric("b"), new Metric("c")];
    const dtlz2 = (c: Record<string, unknown>) => {
      const x = Array.from({ length: DIM }, (_, i) => c[`x${i}`] as number);
      let g = 0;
      for (let i = 2; i < DIM; i++) g += (x[i] - 0.5) ** 2;
      const [u, v] = [(x[0] * Math.PI) / 2, (x[1] * Math.PI) / 2];
      return {
        a: (1 + g) * Math.cos(u) * Math.cos(v),
        b: (1 + g) * Math.cos(u) * Math.sin(v),
        c: (1 + g) * Math.sin(u),
      };
    };
    const hv3 = (opt: Optimizer) => {
      const reports: TrialReport[] = [];
      for (let i = 0; i < 150; i++) {
        const t = opt.ask();
        const r = t.success(dtlz2(t.config));
        opt.tell(r);
        reports.push(r);
      }
      const front = paretoFront(reports, ms).map((r) => lossesOf(r, ms) as number[]);
      return hypervolume(front, [1.5, 1.5, 1.5]);
    };
    for (const seed of [1, 2, 3]) {
      // With these seeds MOTPE reaches 2.45-2.63, random search 2.20-2.29 (best: 2.85).
      const t = hv3(new TPE({ space: zdtSpace(), metrics: ms, seed }));
      const r = hv3(new RandomSearch({ space: zdtSpace(), metrics: ms, seed }));
      expect(t).toBeGreaterThan(r + 0.15);
    }
  });

  it("is deterministic for a seed, and a maximized metric is the same problem negated", () => {
    const configs = (metrics: Metric[], flip: boolean) => {
      const tpe = new TPE({ space: zdtSpace(), metrics, seed: 4 });
      const out: unknown[] = [];
      for (let i = 0; i < 60; i++) {
        const t = tpe.ask();
        const { f1: a, f2: b } = zdt1(t.config);
        tpe.tell(t.success(flip ? { neg: -a, f2: b } : { f1: a, f2: b }));
        out.push(t.config);
      }
      return out;
    };
    const a = configs([f1, f2], false);
    expect(configs([f1, f2], false)).toEqual(a);
    // Maximizing -f1 is minimizing f1: the same losses, so the same trials.
    expect(configs([new Metric("neg", { minimize: false }), f2], true)).toEqual(a);
    const other = new TPE({ space: zdtSpace(), metrics: [f1, f2], seed: 5 });
    expect(run(other, 60).map((r) => r.config)).not.toEqual(a);
  });

  it("failed, crashed and pruned trials never enter the front", () => {
    const tpe = new TPE({ space: zdtSpace(), metrics: [f1, f2], seed: 2 });
    const failed = new Set<string>();
    const failedLosses: number[][] = [];
    for (let i = 0; i < 80; i++) {
      const [t1, t2] = tpe.ask(2);
      // The best-looking region fails: x0 < 0.2 (would be on the front) crashes or fails.
      for (const t of [t1, t2]) {
        const v = zdt1(t.config);
        if ((t.config.x0 as number) < 0.2) {
          failed.add(t.name);
          failedLosses.push([v.f1, v.f2]);
          tpe.tell(i % 2 ? t.fail(new Error("diverged")) : t.crashed(new Error("OOM")));
        } else if (i % 9 === 0) {
          failed.add(t.name);
          tpe.tell(t.success({ f1: v.f1, f2: Number.NaN }));
        } else tpe.tell(t.success(v));
      }
    }
    const front = tpe.front();
    expect(front.length).toBeGreaterThan(1);
    for (const r of front) {
      expect(r.status).toBe("success");
      expect(failed.has(r.name)).toBe(false);
      expect(r.config.x0 as number).toBeGreaterThanOrEqual(0.2);
    }
    // Non-dominated among the successes.
    const pts = front.map((r) => lossesOf(r, [f1, f2]) as number[]);
    for (const p of pts) expect(pts.some((q) => dominates(q, p))).toBe(false);
    // Had they succeeded, failed trials would have been on it.
    expect(failedLosses.some((p) => !pts.some((q) => dominates(q, p)))).toBe(true);
  });
});

describe("MOTPE's good group", () => {
  const rng = new Rng(9);
  /** A noisy convex front with some dominated points, in random order. */
  const cloud = (n: number) =>
    Array.from({ length: n }, () => {
      const x = rng.next();
      return [x * 3, 10 * (1 - Math.sqrt(x)) + 4 * rng.next() ** 6];
    });

  it("selects greedily by exact hypervolume contribution in 2-D and 3-D", () => {
    const sphere = (n: number) =>
      Array.from({ length: n }, () => {
        const [u, v, g] = [rng.next(), rng.next(), 1 + rng.next() ** 4];
        return [Math.cos(u) * Math.cos(v) * g, Math.cos(u) * Math.sin(v) * g, Math.sin(u) * g];
      });
    for (let round = 0; round < 6; round++) {
      const pts = round % 2 ? sphere(25) : cloud(30);
      const k = 7;
      // Brute force: the reference is the worst point plus a tenth of the range, per objective.
      const ref = pts[0].map((_, j) => {
        const vs = pts.map((p) => p[j]);
        const lo = Math.min(...vs);
        const hi = Math.max(...vs);
        return hi + 0.1 * (hi - lo);
      });
      const chosen: number[] = [];
      for (let s = 0; s < k; s++) {
        let best = -1;
        let bestHv = Number.NEGATIVE_INFINITY;
        pts.forEach((_, i) => {
          if (chosen.includes(i)) return;
          const v = hypervolume(
            [...chosen, i].map((c) => pts[c]),
            ref,
          );
          if (v > bestHv + 1e-12) {
            best = i;
            bestHv = v;
          }
        });
        chosen.push(best);
      }
      expect(selectByHypervolume(pts, k)).toEqual(chosen);
    }
    expect(selectByHypervolume(cloud(5), 9)).toEqual([0, 1, 2, 3, 4]);
  });

  it("computes hypervolumes in 3-D and weighs kernels by contribution", () => {
    // Two unit-ish boxes overlapping in a 1 × 1 × 1 cube.
    expect(hypervolume([[0, 0, 1]], [2, 2, 2])).toBeCloseTo(4);
    expect(
      hypervolume(
        [
          [0, 1, 1],
          [1, 0, 1],
          [1, 1, 0],
        ],
        [2, 2, 2],
      ),
    ).toBeCloseTo(4);
    expect(hypervolume([[0, 0]], [1, 2])).toBe(2);
    // The dominated point adds nothing, so its kernel barely counts. With the reference at
    // 1.1: the knee alone covers 0.5 × 0.5, each end 0.5 × 0.1.
    const w = hypervolumeWeights([
      [0, 1],
      [0.5, 0.5],
      [0.5, 1],
      [1, 0],
    ]);
    expect(w[2]).toBeLessThan(1e-9);
    expect(w[1]).toBe(1);
    expect(w[0]).toBeCloseTo(0.2);
    expect(w[3]).toBeCloseTo(0.2);
    expect(hypervolumeWeights([[1, 2]])).toEqual([1]);
    expect(hypervolumeWeights([[1, 2, 3, 4]].concat([[2, 1, 3, 4]]))).toEqual([1, 1]);
  });

  it("ranks 2-D fronts like the general non-dominated sort, ties and duplicates included", () => {
    for (let round = 0; round < 20; round++) {
      // Coarse integer grid: many equal values and duplicate points.
      const pts = Array.from({ length: 60 }, () => [rng.int(0, 6), rng.int(0, 6)]);
      expect(fronts2D(pts)).toEqual(nonDominatedSort(pts));
      const fine = cloud(80);
      expect(fronts2D(fine)).toEqual(nonDominatedSort(fine));
    }
  });

  it("takes whole fronts first, pending and failed trials never good", () => {
    const losses = [[5, 5], [1, 4], undefined, [4, 1], [2, 2], [6, 6], undefined, [3, 3]];
    const trials = losses.map((l, index) => ({ index, losses: l }));
    const ones = (n: number) => new Array<number>(n).fill(1);
    const s = split(trials, () => 4, ones, true);
    // Front 1: 1, 3, 4; then one of front 2 ({7}): 7.
    expect(s.below.map((t) => t.index)).toEqual([1, 3, 4, 7]);
    expect(s.above.map((t) => t.index)).toEqual([0, 2, 5, 6]);
    expect(s.belowWeights).toHaveLength(4);
    expect(s.belowWeights[3]).toBeLessThan(1e-9); // [3, 3] is dominated by [2, 2]
    // Hypervolume weights off (the default): 1 each.
    expect(split(trials, () => 4, ones).belowWeights).toEqual([1, 1, 1, 1]);
    // One metric: plain weights.
    const one = split(
      [0.5, 0.1, 0.3].map((v, index) => ({ index, losses: [v] })),
      () => 2,
      (n) => new Array<number>(n).fill(1),
    );
    expect(one.below.map((t) => t.index)).toEqual([1, 2]);
    expect(one.belowWeights).toEqual([1, 1]);
  });
});
