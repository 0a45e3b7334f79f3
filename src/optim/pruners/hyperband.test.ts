import { describe, expect, it } from "vitest";
import { Metric } from "../../trial/metric.js";
import { HyperbandPruner, PrunerOptionError } from "./index.js";

const names = (n: number) =>
  Array.from({ length: n }, (_, i) => `trial-${String(i + 1).padStart(4, "0")}`);

/** The first trial name (in trial order) of bracket `b`. */
function firstIn(p: HyperbandPruner, b: number): string {
  const found = names(500).find((n) => p.bracketOf(n) === b);
  if (!found) throw new Error(`no trial in bracket ${b}`);
  return found;
}

describe("HyperbandPruner", () => {
  it("brackets from min/max resource and η, with Hyperband's trial shares", () => {
    const p = new HyperbandPruner({ minResource: 1, maxResource: 27, reductionFactor: 3 });
    expect(p.brackets).toBe(4);
    // s = 3, 2, 1, 0: ceil(4·27/4), ceil(4·9/3), ceil(4·3/2), ceil(4·1/1)
    expect(p.budgets).toEqual([27, 12, 6, 4]);
    expect([0, 1, 2, 3].map((b) => p.bracket(b)?.rungStep(0))).toEqual([1, 3, 9, 27]);
    expect(
      new HyperbandPruner({ minResource: 2, maxResource: 100, reductionFactor: 4 }).brackets,
    ).toBe(3);
    expect(new HyperbandPruner({ minResource: 5, maxResource: 5 }).brackets).toBe(1);
  });

  it("assigns trials to brackets by name: the same in every instance and order, all used, mostly bracket 0", () => {
    const a = new HyperbandPruner({ maxResource: 27 });
    const b = new HyperbandPruner({ maxResource: 27 });
    const all = names(490);
    const inA = all.map((n) => a.bracketOf(n));
    const inB = [...all]
      .reverse()
      .map((n) => b.bracketOf(n))
      .reverse();
    expect(inB).toEqual(inA);
    const counts = [0, 1, 2, 3].map((k) => inA.filter((x) => x === k).length);
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(counts[0]).toBeGreaterThan(counts[3]);
  });

  it("a trial competes only within its bracket, pruned as successive halving there", () => {
    const p = new HyperbandPruner({ minResource: 1, maxResource: 9, reductionFactor: 3 });
    expect(p.brackets).toBe(3);
    const zero = names(200).filter((n) => p.bracketOf(n) === 0);
    const one = firstIn(p, 1);
    // Bracket 0's first rung is step 1: of three trials, the worst two are pruned.
    const at = (name: string, step: number, value: number) => {
      p.report(name, step, value);
      return p.shouldPrune(name);
    };
    expect(at(zero[0], 1, 0.5)).toBe(false); // best so far
    expect(at(zero[1], 1, 0.9)).toBe(true);
    expect(at(zero[2], 1, 0.8)).toBe(true); // [0.5, 0.9, 0.8]: top 1 is 0.5
    // Bracket 1 waits until step 3, and does not see bracket 0's values.
    expect(at(one, 1, 5)).toBe(false);
    expect(at(one, 3, 5)).toBe(false); // alone at its rung: best so far
    expect(p.bracket(0)?.rung(0).has(one)).toBe(false);
    expect(p.bracket(1)?.rung(0).get(one)).toBe(5);
  });

  it("maxResource 'auto': no pruning before a trial completes, then its last step sets the brackets", () => {
    const p = new HyperbandPruner({ reductionFactor: 3 });
    expect(p.brackets).toBe(0);
    // Names chosen with the brackets max 9 will give: a anywhere, b and c in bracket 0.
    const ref = new HyperbandPruner({ maxResource: 9, reductionFactor: 3 });
    const [b, c] = names(200).filter((n) => ref.bracketOf(n) === 0);
    const a = "first";
    for (let step = 1; step <= 9; step++) p.report(a, step, 1);
    p.report(b, 1, 0.5);
    expect(p.shouldPrune(b)).toBe(false); // no brackets yet
    expect(p.bracketOf(b)).toBeUndefined();
    p.complete(a, "success");
    expect(p.brackets).toBe(3); // log_3(9) + 1
    expect(p.bracketOf(b)).toBe(0);
    // b's early report was replayed into bracket 0: judged at its rung now, the best so far.
    expect(p.shouldPrune(b)).toBe(false);
    expect(p.bracket(0)?.rung(0).get(b)).toBe(0.5);
    p.report(c, 1, 0.7);
    expect(p.shouldPrune(c)).toBe(true); // [0.5, 0.7] in bracket 0: top 1 is 0.5
    // A failed first trial does not fix the brackets.
    const q = new HyperbandPruner();
    q.report(a, 5, 1);
    q.complete(a, "fail");
    expect(q.brackets).toBe(0);
  });

  it("maximizes with a metric that says so", () => {
    const p = new HyperbandPruner({
      maxResource: 1,
      metric: new Metric("acc", { minimize: false }),
    });
    const [a, b] = names(2);
    p.report(a, 1, 0.9);
    expect(p.shouldPrune(a)).toBe(false);
    p.report(b, 1, 0.5);
    expect(p.shouldPrune(b)).toBe(true);
  });

  it("rejects bad options and steps clearly", () => {
    const bad = [
      [{ reductionFactor: 1 }, "`reductionFactor` must be a finite number > 1, got 1"],
      [{ minResource: 0 }, "`minResource` must be a finite number > 0, got 0"],
      [
        { minResource: 4, maxResource: 2 },
        '`maxResource` must be "auto" or a finite number >= minResource (4), got 2',
      ],
      [{ maxResource: "big" }, "`maxResource`"],
    ] as const;
    for (const [options, message] of bad) {
      expect(() => new HyperbandPruner(options as never)).toThrow(PrunerOptionError);
      expect(() => new HyperbandPruner(options as never)).toThrow(message);
    }
    expect(() => new HyperbandPruner({ brackets: 3 } as never)).toThrow(/brackets/);
    expect(() => new HyperbandPruner().report("x", -1, 0)).toThrow(/step must be an integer >= 0/);
  });
});
