import { describe, expect, it } from "vitest";
import { Metric } from "../../trial/metric.js";
import { MedianPruner, PrunerOptionError, SuccessiveHalvingPruner } from "./index.js";

/** Reports a whole curve (step i -> curve[i]) and ends the trial successfully. */
function finish(
  p: MedianPruner,
  name: string,
  curve: number[],
  status: "success" | "fail" = "success",
) {
  for (const [step, v] of curve.entries()) p.report(name, step, v);
  p.complete(name, status);
}

describe("MedianPruner", () => {
  const startup = () => {
    const p = new MedianPruner({ nStartupTrials: 2 });
    finish(p, "a", [10, 8, 6, 4]);
    finish(p, "b", [12, 9, 7, 5]);
    return p;
  };

  it("prunes when the best value so far is worse than the median at the step", () => {
    const p = startup();
    p.report("c", 0, 11); // median at step 0 is 11: equal is not worse
    expect(p.shouldPrune("c")).toBe(false);
    p.report("c", 1, 9); // median at step 1 is 8.5
    expect(p.shouldPrune("c")).toBe(true);
  });

  it("uses the trial's best value over all its steps, not only the latest", () => {
    const p = startup();
    p.report("d", 0, 1);
    p.report("d", 1, 100);
    expect(p.shouldPrune("d")).toBe(false); // best 1 < 8.5
  });

  it("does not prune before nStartupTrials finished trials", () => {
    const p = new MedianPruner({ nStartupTrials: 2 });
    finish(p, "a", [1, 1]);
    p.report("c", 0, 50);
    expect(p.shouldPrune("c")).toBe(false);
    finish(p, "b", [1, 1]);
    expect(p.shouldPrune("c")).toBe(true);
  });

  it("failed or pruned trials count neither for startup nor for the median", () => {
    const p = new MedianPruner({ nStartupTrials: 1 });
    finish(p, "bad", [0, 0], "fail");
    p.report("c", 0, 5);
    expect(p.shouldPrune("c")).toBe(false); // no completed trial yet
    finish(p, "ok", [10, 10]);
    expect(p.shouldPrune("c")).toBe(false); // 5 < median 10 (the failed 0 is not counted)
  });

  it("a trial finished without a status counts as completed", () => {
    const p = new MedianPruner({ nStartupTrials: 1 });
    for (const s of [0, 1]) p.report("a", s, 1);
    p.complete("a");
    p.report("c", 0, 2);
    expect(p.shouldPrune("c")).toBe(true);
  });

  it("waits nWarmupSteps", () => {
    const p = new MedianPruner({ nStartupTrials: 1, nWarmupSteps: 2 });
    finish(p, "a", [1, 1, 1, 1]);
    p.report("c", 0, 5);
    expect(p.shouldPrune("c")).toBe(false);
    p.report("c", 1, 5);
    expect(p.shouldPrune("c")).toBe(false);
    p.report("c", 2, 5);
    expect(p.shouldPrune("c")).toBe(true);
  });

  it("judges once per interval (the first step reported in it)", () => {
    const p = new MedianPruner({ nStartupTrials: 1, intervalSteps: 2 });
    finish(p, "a", [1, 1, 1, 1, 1]);
    const decisions: boolean[] = [];
    for (let s = 0; s < 4; s++) {
      p.report("c", s, 5);
      decisions.push(p.shouldPrune("c"));
    }
    expect(decisions).toEqual([true, false, true, false]);
    // A trial that skips steps is judged at the first step it reports in an interval.
    p.report("e", 0, 5);
    p.report("e", 3, 5);
    expect(p.shouldPrune("e")).toBe(true);
  });

  it("ignores a step no finished trial reached, and honours nMinTrials", () => {
    const p = new MedianPruner({ nStartupTrials: 1, nMinTrials: 2 });
    finish(p, "a", [1, 1]);
    p.report("c", 0, 5);
    expect(p.shouldPrune("c")).toBe(false); // one finished value at step 0, two needed
    finish(p, "b", [1, 1]);
    expect(p.shouldPrune("c")).toBe(true);
    p.report("f", 7, 5); // nobody reached step 7
    expect(p.shouldPrune("f")).toBe(false);
  });

  it("maximizes when told so (or by the metric)", () => {
    for (const p of [
      new MedianPruner({ nStartupTrials: 1, minimize: false }),
      new MedianPruner({ nStartupTrials: 1, metric: new Metric("acc", { minimize: false }) }),
    ]) {
      finish(p, "a", [0.5]);
      p.report("low", 0, 0.4);
      p.report("high", 0, 0.6);
      expect([p.shouldPrune("low"), p.shouldPrune("high")]).toEqual([true, false]);
    }
  });

  it("prunes a NaN curve; NaN values of finished trials are skipped in the median", () => {
    const p = new MedianPruner({ nStartupTrials: 2 });
    finish(p, "a", [Number.NaN]);
    finish(p, "b", [3]);
    p.report("n", 0, Number.NaN);
    expect(p.shouldPrune("n")).toBe(true);
    p.report("c", 0, 2.5);
    expect(p.shouldPrune("c")).toBe(false); // median of [3] (NaN skipped) is 3
    p.report("d", 0, 3.5);
    expect(p.shouldPrune("d")).toBe(true);
  });

  it("keeps the first value of a repeated step and never prunes an ended trial", () => {
    const p = new MedianPruner({ nStartupTrials: 1 });
    finish(p, "a", [1]);
    p.report("c", 0, 0.5);
    p.report("c", 0, 50);
    expect(p.shouldPrune("c")).toBe(false);
    p.complete("c", "success");
    expect(p.shouldPrune("c")).toBe(false);
  });

  it("rejects bad options and bad reports clearly", () => {
    expect(() => new MedianPruner({ nStartupTrials: -1 })).toThrow(PrunerOptionError);
    expect(() => new MedianPruner({ nStartupTrials: -1 })).toThrow(
      "MedianPruner: `nStartupTrials` must be an integer >= 0, got -1",
    );
    expect(() => new MedianPruner({ intervalSteps: 0 })).toThrow("`intervalSteps`");
    expect(() => new MedianPruner({ nWarmupSteps: 1.5 })).toThrow("`nWarmupSteps`");
    expect(
      () => new MedianPruner({ minimize: true, metric: new Metric("acc", { minimize: false }) }),
    ).toThrow(/consistent with metric "acc"/);
    const p = new MedianPruner();
    expect(() => p.report("c", -1, 0)).toThrow(/step must be an integer >= 0, got -1/);
    expect(() => p.report("c", 0, "x" as unknown as number)).toThrow(/value must be a number/);
  });
});

describe("SuccessiveHalvingPruner (ASHA)", () => {
  it("promotes the top 1/η at each rung, asynchronously", () => {
    const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
    expect([1, 2, 3].map((k) => p.rungStep(k - 1))).toEqual([1, 2, 4]);
    const at = (name: string, step: number, value: number) => {
      p.report(name, step, value);
      return p.shouldPrune(name);
    };
    expect(at("a", 0, 0.7)).toBe(false); // before the first rung
    expect(at("a", 1, 0.5)).toBe(false); // rung 0: [0.5] -> best so far
    expect(at("b", 1, 0.9)).toBe(true); // [0.5, 0.9]: top 1 is 0.5
    expect(at("c", 1, 0.4)).toBe(false); // [0.5, 0.9, 0.4]: top 1 is 0.4
    expect(at("d", 1, 0.45)).toBe(false); // top 2 of [0.4, 0.45, 0.5, 0.9]
    expect(at("a", 2, 0.3)).toBe(false); // rung 1: [0.3]
    expect(at("a", 3, 0.1)).toBe(false); // no rung at step 3
    expect(at("c", 2, 0.35)).toBe(true); // rung 1: [0.3, 0.35]
    expect([...p.rung(0).entries()]).toEqual([
      ["a", 0.5],
      ["b", 0.9],
      ["c", 0.4],
      ["d", 0.45],
    ]);
    expect([...p.rung(1).keys()]).toEqual(["a", "c"]);
  });

  it("a trial that skips steps passes each rung it jumped over, with its latest value", () => {
    const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
    p.report("a", 4, 1);
    expect(p.shouldPrune("a")).toBe(false);
    expect([0, 1, 2, 3].map((k) => p.rung(k).get("a"))).toEqual([1, 1, 1, undefined]);
    p.report("b", 4, 2); // rung 0: [1, 2] -> pruned there; rungs 1 and 2 untouched
    expect(p.shouldPrune("b")).toBe(true);
    expect([0, 1].map((k) => p.rung(k).has("b"))).toEqual([true, false]);
  });

  it("minEarlyStoppingRate shifts the rungs; maximize flips the order", () => {
    const p = new SuccessiveHalvingPruner({
      minResource: 2,
      reductionFactor: 3,
      minEarlyStoppingRate: 1,
      metric: new Metric("acc", { minimize: false }),
    });
    expect(p.rungStep(0)).toBe(6);
    p.report("a", 5, 0.9);
    expect(p.shouldPrune("a")).toBe(false);
    expect(p.rung(0).size).toBe(0);
    p.report("a", 6, 0.9);
    p.report("b", 6, 0.8);
    p.report("c", 6, 0.95);
    expect(["a", "b", "c"].map((n) => p.shouldPrune(n))).toEqual([false, true, false]);
  });

  it("prunes NaN at a rung; ended trials are not judged but their rung values count", () => {
    const p = new SuccessiveHalvingPruner({ reductionFactor: 2 });
    p.report("n", 1, Number.NaN);
    expect(p.shouldPrune("n")).toBe(true);
    p.report("a", 1, 0.2);
    expect(p.shouldPrune("a")).toBe(false);
    p.complete("a", "success");
    expect(p.shouldPrune("a")).toBe(false);
    p.report("b", 1, 0.3);
    expect(p.shouldPrune("b")).toBe(true); // [0.2, 0.3] (NaN is not recorded): top 1 is 0.2
  });

  it("rejects bad options clearly", () => {
    const bad = [
      [{ reductionFactor: 1 }, "`reductionFactor` must be a finite number > 1, got 1"],
      [{ reductionFactor: 0.5 }, "`reductionFactor`"],
      [{ minResource: 0 }, "`minResource` must be a finite number > 0, got 0"],
      [{ minResource: -2 }, "`minResource`"],
      [{ minEarlyStoppingRate: -1 }, "`minEarlyStoppingRate` must be an integer >= 0, got -1"],
    ] as const;
    for (const [options, message] of bad) {
      expect(() => new SuccessiveHalvingPruner(options)).toThrow(PrunerOptionError);
      expect(() => new SuccessiveHalvingPruner(options)).toThrow(message);
    }
  });
});
