import { describe, expect, it } from "vitest";
import { MedianPruner } from "../optim/pruners/index.js";
import { Metric } from "./metric.js";
import {
  answerPruning,
  attachPruner,
  intermediateValues,
  isPruned,
  PRUNING_MESSAGE,
  Pruned,
} from "./pruning.js";
import { TrialReport } from "./report.js";
import { Trial } from "./trial.js";

const make = (name: string) => new Trial({ name, config: {}, metrics: [new Metric("loss")] });

describe("trial.report / trial.shouldPrune", () => {
  it("keeps values on the trial and in the report's summary (JSON-safe, first value per step)", () => {
    const t = make("t");
    t.report(1, 0.5);
    t.report(0, 0.9);
    t.report(1, 7); // repeated step: ignored
    t.report(2, Number.NaN);
    expect([...intermediateValues(t)]).toEqual([
      [0, 0.9],
      [1, 0.5],
      [2, Number.NaN],
    ]);
    const report = t.success({ loss: 0.5 });
    const back = TrialReport.fromJSON(JSON.parse(JSON.stringify(report)));
    expect(back.summary.intermediate).toEqual({ "0": 0.9, "1": 0.5, "2": "nan" });
    expect([...intermediateValues(back)]).toEqual([
      [0, 0.9],
      [1, 0.5],
      [2, Number.NaN],
    ]);
    expect(report.row()["summary:intermediate"]).toBe('{"0":0.9,"1":0.5,"2":"nan"}');
  });

  it("keeps its own values even when user code replaces trial.summary", async () => {
    const pruner = new MedianPruner({ nStartupTrials: 0 });
    const t = make("t");
    attachPruner(t, pruner);
    t.report(0, 1);
    t.summary = { cost: 1 };
    t.report(1, 2);
    expect([...intermediateValues(t).keys()]).toEqual([0, 1]);
    expect(t.summary.intermediate).toEqual({ "1": 2 });
  });

  it("rejects bad steps and values, naming the trial", () => {
    const t = make("bad");
    expect(() => t.report(-1, 0)).toThrow(
      'Trial "bad": report step must be an integer >= 0, got -1',
    );
    expect(() => t.report(1.5, 0)).toThrow(/got 1.5/);
    expect(() => t.report(0, "0.3" as unknown as number)).toThrow(
      'Trial "bad": report value must be a number, got string at step 0',
    );
    expect(t.summary.intermediate).toBeUndefined();
  });

  it("without a pruner shouldPrune resolves false", async () => {
    const t = make("alone");
    t.report(0, 100);
    await expect(t.shouldPrune()).resolves.toBe(false);
  });

  it("in-process: asks the attached pruner", async () => {
    const pruner = new MedianPruner({ nStartupTrials: 1 });
    const good = make("good");
    attachPruner(good, pruner);
    for (const [s, v] of [0.9, 0.5, 0.2].entries()) good.report(s, v);
    await expect(good.shouldPrune()).resolves.toBe(false);
    pruner.complete("good", "success");
    const bad = make("bad");
    attachPruner(bad, pruner);
    bad.report(0, 0.8);
    await expect(bad.shouldPrune()).resolves.toBe(false); // 0.8 < 0.9
    bad.report(1, 0.95);
    await expect(bad.shouldPrune()).resolves.toBe(true); // best 0.8 is worse than 0.5 at step 1
    const unattached = make("unattached");
    unattached.report(0, 5);
    await expect(unattached.shouldPrune()).resolves.toBe(false); // attachment is per trial
  });

  it("a pruned trial fails with 'Pruned at step N'", () => {
    const t = make("p");
    const report = t.fail(new Pruned(3));
    expect(report.status).toBe("fail");
    expect(report.exception).toBe("Pruned at step 3");
    expect(report.values.loss).toBe(Number.POSITIVE_INFINITY);
    expect(isPruned(report)).toBe(true);
    expect(isPruned(make("f").fail(new Error("boom")))).toBe(false);
    expect(isPruned(make("s").success({ loss: 1 }))).toBe(false);
  });
});

describe("through a Comm handle (trial.plugins.comm)", () => {
  it("sends values, asks with a request the host answers, survives a closed channel", async () => {
    const pruner = new MedianPruner({ nStartupTrials: 1 });
    for (const [s, v] of [5, 0.1].entries()) pruner.report("a", s, v);
    pruner.complete("a", "success");
    const sent: unknown[] = [];
    let closed = false;
    const t = make("remote");
    // The same shape as Comm's worker-side handle; the host side is answerPruning.
    t.plugins.comm = {
      send(data: unknown) {
        if (closed) throw new Error("Comm: cannot send: the channel is closed");
        sent.push(data);
        answerPruning(pruner, data);
      },
      async request(data: unknown, options?: { timeout?: number }) {
        expect(options?.timeout).toBeGreaterThan(0);
        const r = answerPruning(pruner, data);
        return r.handled ? r.answer : undefined;
      },
    };
    t.report(0, 1);
    expect(sent).toEqual([
      { type: PRUNING_MESSAGE, kind: "report", trial: "remote", step: 0, value: 1 },
    ]);
    await expect(t.shouldPrune()).resolves.toBe(false);
    closed = true;
    t.report(1, 0.5); // not delivered as a message: kept, and re-sent with the next request
    // Judged at step 1 (so the request carried it): best 0.5 is worse than the median 0.1.
    await expect(t.shouldPrune()).resolves.toBe(true);
    expect(sent.length).toBe(1);
    expect([...intermediateValues(t)]).toEqual([
      [0, 1],
      [1, 0.5],
    ]);
  });

  it("a host that answers with something else than a boolean is a clear error", async () => {
    const t = make("confused");
    t.plugins.comm = { send() {}, request: async () => "yes" };
    await expect(t.shouldPrune()).rejects.toThrow(
      'Trial "confused": the host answered shouldPrune with "yes", not a boolean',
    );
  });
});

describe("answerPruning (host side of the Comm protocol)", () => {
  it("applies reports, answers requests with every value re-sent, ignores other traffic", () => {
    const pruner = new MedianPruner({ nStartupTrials: 1 });
    for (const [s, v] of [1, 1].entries()) pruner.report("a", s, v);
    pruner.complete("a", "success");
    expect(answerPruning(pruner, { hello: 1 })).toEqual({ handled: false });
    expect(answerPruning(pruner, "text")).toEqual({ handled: false });
    expect(
      answerPruning(pruner, {
        type: PRUNING_MESSAGE,
        kind: "report",
        trial: "b",
        step: 0,
        value: 0.5,
      }),
    ).toEqual({ handled: true });
    // The request carries step 1 although its message never arrived.
    expect(
      answerPruning(pruner, {
        type: PRUNING_MESSAGE,
        kind: "shouldPrune",
        trial: "b",
        values: [
          [0, 0.5],
          [1, "nan"],
        ],
      }),
    ).toEqual({ handled: true, answer: false }); // best 0.5 < median 1 at step 1
    expect(
      answerPruning(pruner, {
        type: PRUNING_MESSAGE,
        kind: "shouldPrune",
        trial: "c",
        values: [[0, 3]],
      }),
    ).toEqual({ handled: true, answer: true });
  });
});
