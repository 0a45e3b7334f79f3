/**
 * The backend conformance suite: every `Store` implementation runs
 * `describeStoreConformance(name, makeStore)` from its own test file.
 */
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeFilterConformance } from "./conformance-filters.js";
import { describeSeriesConformance } from "./conformance-series.js";
import { describeStateConformance } from "./conformance-states.js";
import { processStartToken } from "./owner.js";
import { type HistoryRow, type RunInit, type Store, StoreError } from "./types.js";

let counter = 0;

function runInit(over: Partial<RunInit> = {}): RunInit {
  counter++;
  return {
    id: `run${counter}-${Math.random().toString(36).slice(2, 8)}`,
    project: "proj",
    name: `run-${counter}`,
    createdAt: 1_700_000_000_000 + counter,
    ...over,
  };
}

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  return r.pid as number;
}

async function expectStoreError(p: Promise<unknown>, code: StoreError["code"], text?: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
  if (text) expect((err as StoreError).message).toContain(text);
}

export function describeStoreConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });
    describeFilterConformance(() => store);
    describeStateConformance(() => store);
    describeSeriesConformance(() => store);

    it("creates, gets and updates a run", async () => {
      const init = runInit({ tags: ["a", "b"], config: { lr: 0.1, opt: { name: "adam" } } });
      const created = await store.createRun(init);
      expect(created).toMatchObject({
        id: init.id,
        project: "proj",
        state: "running",
        tags: ["a", "b"],
        config: { lr: 0.1, opt: { name: "adam" } },
        summary: {},
        nextStep: 0,
        exitCode: null,
        finishedAt: null,
      });
      await store.updateRun(init.id, {
        summary: { loss: 0.5, best: Number.NaN, inf: Number.POSITIVE_INFINITY },
        state: "finished",
        exitCode: 0,
        finishedAt: init.createdAt + 1000,
        notes: "done",
      });
      const got = await store.getRun(init.id);
      expect(got?.state).toBe("finished");
      expect(got?.exitCode).toBe(0);
      expect(got?.notes).toBe("done");
      expect(got?.summary.loss).toBe(0.5);
      expect(got?.summary.best).toBeNaN();
      expect(got?.summary.inf).toBe(Number.POSITIVE_INFINITY);
      expect(got?.name).toBe(init.name);
      expect(await store.getRun("nope")).toBeUndefined();
    });

    it("rejects bad input with StoreError", async () => {
      const init = runInit();
      await store.createRun(init);
      await expectStoreError(store.createRun(init), "duplicate", init.id);
      await expectStoreError(
        store.updateRun("missing-id", { name: "x" }),
        "not_found",
        "missing-id",
      );
      await expectStoreError(store.appendHistory("missing-id", []), "not_found", "missing-id");
      await expectStoreError(store.deleteRun("missing-id"), "not_found", "missing-id");
      await expectStoreError(
        store.appendHistory(init.id, [
          { step: 0, runtime: 0, timestamp: 1, values: { f: (() => 1) as never } },
        ]),
        "invalid",
        "f",
      );
      await expectStoreError(
        store.appendHistory(init.id, [{ step: -1, runtime: 0, timestamp: 1, values: {} }]),
        "invalid",
        "-1",
      );
      await expectStoreError(
        store.appendHistory(init.id, [{ step: 0, runtime: 0, timestamp: 1, values: { "": 1 } }]),
        "invalid",
      );
      await expectStoreError(
        store.listRuns({ where: [{ path: "bogus", op: "=", value: 1 }] }),
        "invalid",
        "bogus",
      );
    });

    it("lists, filters and sorts runs", async () => {
      const project = `p-${Math.random().toString(36).slice(2)}`;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const init = runInit({
          project,
          group: i % 2 === 0 ? "even" : "odd",
          tags: i < 2 ? ["small", "x"] : ["big"],
          config: { x: i, name: `cfg${i}` },
        });
        ids.push(init.id);
        await store.createRun(init);
        await store.updateRun(init.id, {
          summary: { cost: 10 - i * (i % 2 === 0 ? 1 : 3) },
          state: i === 4 ? "failed" : "finished",
        });
      }
      const all = await store.listRuns({ project });
      expect(all.total).toBe(5);
      expect(all.runs.map((r) => r.id)).toEqual([...ids].reverse());

      expect((await store.listRuns({ project, state: "failed" })).runs.map((r) => r.id)).toEqual([
        ids[4],
      ]);
      expect((await store.listRuns({ project, state: ["failed", "finished"] })).total).toBe(5);
      expect((await store.listRuns({ project, group: "odd" })).total).toBe(2);
      expect((await store.listRuns({ project, tags: ["small", "x"] })).total).toBe(2);
      expect((await store.listRuns({ project, tags: ["small", "big"] })).total).toBe(0);
      const gt = await store.listRuns({
        project,
        where: [{ path: "config.x", op: ">=", value: 2 }],
        sort: "config.x",
      });
      expect(gt.runs.map((r) => r.config.x)).toEqual([2, 3, 4]);
      const contains = await store.listRuns({
        project,
        where: [{ path: "config.name", op: "contains", value: "fg3" }],
      });
      expect(contains.runs.map((r) => r.id)).toEqual([ids[3]]);
      const within = await store.listRuns({
        project,
        where: [{ path: "config.x", op: "in", value: [1, 3, 99] }],
        sort: "config.x",
      });
      expect(within.runs.map((r) => r.config.x)).toEqual([1, 3]);
      expect(
        (await store.listRuns({ project, where: [{ path: "config.x", op: "in", value: [] }] }))
          .total,
      ).toBe(0);
      await expectStoreError(
        store.listRuns({ project, where: [{ path: "config.x", op: "in", value: 3 }] }),
        "invalid",
        "config.x",
      );
      expect((await store.listRuns({ project, search: "BIG" })).total).toBe(3);
      expect((await store.listRuns({ project, search: all.runs[0].name })).total).toBe(1);
      expect((await store.listRuns({ project, search: "%" })).total).toBe(0);
      // costs: 10, 7, 8, 1, 6
      const byCost = await store.listRuns({ project, sort: "-summary.cost" });
      expect(byCost.runs.map((r) => r.summary.cost)).toEqual([10, 8, 7, 6, 1]);
      const page = await store.listRuns({ project, sort: "summary.cost", limit: 2, offset: 1 });
      expect(page.total).toBe(5);
      expect(page.runs.map((r) => r.summary.cost)).toEqual([6, 7]);
      const byName = await store.listRuns({
        project,
        where: [{ path: "name", op: "=", value: all.runs[0].name }],
      });
      expect(byName.total).toBe(1);

      const projects = await store.listProjects();
      const info = projects.find((p) => p.project === project);
      expect(info).toMatchObject({ project, runCount: 5, runningCount: 0 });
      if (info?.lastActivityAt !== undefined) {
        expect(info.lastActivityAt).toBeGreaterThanOrEqual(info.lastCreatedAt);
      }

      await store.deleteRun(ids[0]);
      expect((await store.listRuns({ project })).total).toBe(4);
      expect(await store.getRun(ids[0])).toBeUndefined();
    });

    it("appends and reads history, NaN and Infinity included", async () => {
      const init = runInit();
      await store.createRun(init);
      const rows: HistoryRow[] = [
        { step: 0, runtime: 0.5, timestamp: 100.25, values: { loss: 1.5, acc: 0 } },
        {
          step: 1,
          runtime: 1.5,
          timestamp: 101.25,
          values: {
            loss: Number.NaN,
            acc: Number.POSITIVE_INFINITY,
            neg: Number.NEGATIVE_INFINITY,
            label: "cat",
            ok: true,
            vec: [1, 2, 3],
            obj: { a: 1, b: { c: "d" } },
            nil: null,
          },
        },
        { step: 2, runtime: 2.5, timestamp: 102.25, values: { loss: 0.25 } },
      ];
      await store.appendHistory(init.id, rows);
      const back = await store.readHistory(init.id);
      expect(back).toHaveLength(3);
      expect(back[0]).toEqual(rows[0]);
      expect(back[1].values.loss).toBeNaN();
      expect(back[1].values.acc).toBe(Number.POSITIVE_INFINITY);
      expect(back[1].values.neg).toBe(Number.NEGATIVE_INFINITY);
      expect(back[1].values.label).toBe("cat");
      expect(back[1].values.ok).toBe(true);
      expect(back[1].values.vec).toEqual([1, 2, 3]);
      expect(back[1].values.obj).toEqual({ a: 1, b: { c: "d" } });
      expect(back[1].values.nil).toBeNull();
      expect(back[1]).toMatchObject({ step: 1, runtime: 1.5, timestamp: 101.25 });
      expect(await store.readHistory(init.id, { minStep: 1, maxStep: 1 })).toHaveLength(1);
      expect(await store.readHistory(init.id, { limit: 2 })).toHaveLength(2);
      expect((await store.getRun(init.id))?.nextStep).toBe(3);

      const points = await store.readPoints({ runId: init.id, key: "loss" });
      expect(points.map((p) => p.step)).toEqual([0, 1, 2]);
      expect(points[1].value).toBeNaN();
      expect(points[2]).toEqual({ step: 2, timestamp: 102.25, value: 0.25 });
      expect(
        await store.readPoints({ runId: init.id, key: "loss", minStep: 1, limit: 1 }),
      ).toHaveLength(1);

      const keys = await store.historyKeys(init.id);
      expect(keys.find((k) => k.key === "loss")).toEqual({
        key: "loss",
        count: 3,
        minStep: 0,
        maxStep: 2,
      });
      expect(keys.map((k) => k.key)).toContain("obj");
    });

    it("downsamples series keeping a spike", async () => {
      const init = runInit();
      await store.createRun(init);
      const rows: HistoryRow[] = [];
      for (let step = 0; step < 1000; step++) {
        rows.push({
          step,
          runtime: step,
          timestamp: 1000 + step,
          values: { y: step === 537 ? 1e6 : step % 10 },
        });
      }
      await store.appendHistory(init.id, rows);
      const [series] = await store.readSeries({
        runIds: [init.id],
        keys: ["y"],
        x: "step",
        buckets: 10,
      });
      expect(series.runId).toBe(init.id);
      expect(series.key).toBe("y");
      expect(series.buckets).toHaveLength(10);
      expect(series.buckets.reduce((n, b) => n + b.count, 0)).toBe(1000);
      expect(Math.max(...series.buckets.map((b) => b.max))).toBe(1e6);
      expect(series.buckets[0].x).toBe(0);
      expect(series.buckets[0].min).toBe(0);
      expect(series.buckets[0].last).toBe(9); // step 99
      const time = await store.readSeries({
        runIds: [init.id],
        keys: ["y"],
        x: "time",
        buckets: 5,
        minX: 1500,
        maxX: 1599,
      });
      expect(time[0].buckets.reduce((n, b) => n + b.count, 0)).toBe(100);
      expect(time[0].buckets[0].x).toBe(1500);
      expect(Math.max(...time[0].buckets.map((b) => b.max))).toBe(1e6);
    });

    it("stores system samples and console lines", async () => {
      const init = runInit();
      await store.createRun(init);
      await store.appendSystem(init.id, [
        { timestamp: 10, values: { "system/cpu": 50, "system/rss_mib": 100 } },
        { timestamp: 20, values: { "system/cpu": 70, "system/rss_mib": 110 } },
      ]);
      const [cpu] = await store.readSeries({
        runIds: [init.id],
        keys: ["system/cpu"],
        x: "time",
        buckets: 1,
        source: "system",
      });
      expect(cpu.buckets).toEqual([{ x: 10, min: 50, max: 70, last: 70, count: 2 }]);
      if (store.consoleCount) expect(await store.consoleCount(init.id)).toBe(0);
      if (store.systemKeys) {
        expect(await store.systemKeys(init.id)).toEqual(["system/cpu", "system/rss_mib"]);
      }
      await store.appendConsole(init.id, [
        { stream: "stdout", timestamp: 1, text: "hello" },
        { stream: "stderr", timestamp: 2, text: "oops" },
      ]);
      await store.appendConsole(init.id, [{ stream: "stdout", timestamp: 3, text: "bye" }]);
      const lines = await store.readConsole(init.id);
      expect(lines.map((l) => l.text)).toEqual(["hello", "oops", "bye"]);
      expect(lines[1]).toEqual({ stream: "stderr", timestamp: 2, text: "oops" });
      expect(await store.readConsole(init.id, { offset: 1, limit: 1 })).toHaveLength(1);
    });

    it("reaps runs whose pid died or whose heartbeat is stale", async () => {
      const dead = runInit({ pid: deadPid(), host: hostname() });
      const alive = runInit({ pid: process.pid, host: hostname(), createdAt: Date.now() });
      const stale = runInit({ pid: process.pid, host: hostname(), createdAt: Date.now() - 60_000 });
      for (const r of [dead, alive, stale]) await store.createRun(r);
      // getRun detects the dead owner at once.
      expect((await store.getRun(dead.id))?.state).toBe("crashed");
      const reaped = await store.reapCrashed(30_000);
      expect(reaped).toContain(stale.id);
      expect(reaped).not.toContain(alive.id);
      expect((await store.getRun(alive.id))?.state).toBe("running");
      expect((await store.getRun(stale.id))?.state).toBe("crashed");

      const dead2 = runInit({ pid: deadPid(), host: hostname() });
      await store.createRun(dead2);
      const listed = await store.listRuns({ state: "running" });
      expect(listed.runs.map((r) => r.id)).not.toContain(dead2.id);
    });

    // PID reuse: the recorded pid is alive (this test's parent process), but the process that
    // holds it now started at another time, or in another boot, than the run's owner did.
    // Start times and boot ids come from /proc: only Linux has them. (This file is part of the
    // build, so it cannot use test/skip.ts; it prints its reason itself.)
    const noProc = processStartToken(process.pid) === null;
    if (noProc)
      console.warn("skipped: store conformance, reused pid: no /proc/<pid>/stat here (Linux only)");
    it.skipIf(noProc)(
      "reaps a run whose pid now belongs to another process (start time or boot differs)",
      async () => {
        const other = process.ppid;
        const real = processStartToken(other)!;
        const scope = real.slice(0, real.lastIndexOf(":"));
        const ticks = Number(real.slice(real.lastIndexOf(":") + 1));
        const host = hostname();
        const reused = runInit({
          pid: other,
          host,
          ownerStart: `${scope}:${ticks + 1}`,
          createdAt: Date.now(),
        });
        const rebooted = runInit({
          pid: other,
          host,
          ownerStart: real.replace(/^linux:[^:]+:/, "linux:not-this-boot:"),
          createdAt: Date.now(),
        });
        const owner = runInit({ pid: other, host, ownerStart: real, createdAt: Date.now() });
        const foreign = runInit({
          pid: other,
          host,
          ownerStart: "darwin:123",
          createdAt: Date.now(),
        });
        for (const r of [reused, rebooted, owner, foreign]) await store.createRun(r);
        expect((await store.getRun(owner.id))?.ownerStart).toBe(real);
        expect((await store.getRun(reused.id))?.state).toBe("crashed");
        const reaped = await store.reapCrashed(Number.POSITIVE_INFINITY);
        expect(reaped).toEqual([rebooted.id]);
        expect((await store.getRun(owner.id))?.state).toBe("running");
        // A token this system cannot check is unknown, not dead.
        expect((await store.getRun(foreign.id))?.state).toBe("running");

        // A new pid without a token (a resume by a writer that records none) drops the old
        // token, which named the old pid's process.
        await store.updateRun(owner.id, { pid: process.pid });
        expect((await store.getRun(owner.id))?.ownerStart ?? null).toBeNull();
        expect(await store.reapCrashed(Number.POSITIVE_INFINITY)).toEqual([]);
      },
    );
  });
}
