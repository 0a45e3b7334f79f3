import { afterEach, describe, expect, it, vi } from "vitest";
import { TrackError } from "./errors.js";
import { init } from "./init.js";
import { MemoryStore } from "./memory-store.js";
import type { Run } from "./run.js";

let run: Run | undefined;
afterEach(async () => {
  await run?.finish();
  run = undefined;
  vi.restoreAllMocks();
});

async function start(store = new MemoryStore(), extra = {}) {
  run = await init({ store, project: "p", systemInterval: 0, reinit: "create_new", ...extra });
  return { run, store };
}

function steps(store: MemoryStore, id: string) {
  return store.history.get(id)!.map((r) => ({ step: r.step, ...r.values }));
}

describe("log step/commit rules", () => {
  it("plain log writes at the current step then advances", async () => {
    const { run, store } = await start();
    run.log({ a: 1 });
    run.log({ a: 2 });
    expect(run.step).toBe(2);
    await run.finish();
    expect(steps(store, run.id)).toEqual([
      { step: 0, a: 1 },
      { step: 1, a: 2 },
    ]);
    const row = store.history.get(run.id)![0];
    expect(row.runtime).toBeGreaterThanOrEqual(0);
    expect(Math.abs(row.timestamp - Date.now() / 1000)).toBeLessThan(60);
  });
  it("commit false merges into the pending row", async () => {
    const { run, store } = await start();
    run.log({ a: 1 }, { commit: false });
    run.log({ b: 2 }, { commit: false });
    expect(run.step).toBe(0);
    run.log({ c: 3 });
    await run.finish();
    expect(steps(store, run.id)).toEqual([{ step: 0, a: 1, b: 2, c: 3 }]);
  });
  it("larger step flushes pending and jumps; equal merges; smaller warns and drops", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { run, store } = await start();
    run.log({ a: 1 }, { step: 0 });
    run.log({ b: 2 }, { step: 0 });
    run.log({ a: 3 }, { step: 5 });
    expect(run.step).toBe(5);
    run.log({ a: 4 }, { step: 2 });
    expect(warn).toHaveBeenCalledTimes(1);
    run.log({ c: 9 }, { step: 5, commit: true });
    expect(run.step).toBe(6);
    run.log({ d: 1 });
    await run.finish();
    expect(steps(store, run.id)).toEqual([
      { step: 0, a: 1, b: 2 },
      { step: 5, a: 3, c: 9 },
      { step: 6, d: 1 },
    ]);
  });
  it("finish flushes the pending row", async () => {
    const { run, store } = await start();
    run.log({ a: 1 }, { commit: false });
    await run.finish();
    expect(steps(store, run.id)).toEqual([{ step: 0, a: 1 }]);
  });
  it("flattens nested objects to a/b keys and accepts special numbers", async () => {
    const { run, store } = await start();
    run.log({
      train: { loss: 1, acc: { top1: 0.5 } },
      n: Number.NaN,
      i: -Infinity,
      s: "x",
      v: [1, 2],
    });
    await run.finish();
    expect(store.history.get(run.id)![0].values).toEqual({
      "train/loss": 1,
      "train/acc/top1": 0.5,
      n: Number.NaN,
      i: -Infinity,
      s: "x",
      v: [1, 2],
    });
  });
});

describe("bad keys and values", () => {
  it("throws TrackError naming the key and keeps working", async () => {
    const { run, store } = await start();
    const circ: Record<string, unknown> = {};
    circ.self = circ;
    expect(() => run.log({ f: () => 1 })).toThrow(/"f"/);
    expect(() => run.log({ s: Symbol("x") })).toThrow(TrackError);
    expect(() => run.log({ b: 1n })).toThrow(/"b"/);
    expect(() => run.log({ c: circ })).toThrow(TrackError);
    expect(() => run.log({ arr: [1, "x"] })).toThrow(/"arr"/);
    expect(() => run.log({ "": 1 })).toThrow(TrackError);
    expect(() => run.log({ _x: 1 })).toThrow(/"_x"/);
    expect(() => run.log({ ["k".repeat(600)]: 1 })).toThrow(/longer than 512/);
    expect(() => run.log({ a: { ["k".repeat(600)]: 1 } })).toThrow(/"a\/kkk/);
    expect(() => run.log({ d: new Date() })).toThrow(/"d"/);
    expect(() => run.log(null as unknown as Record<string, unknown>)).toThrow(TrackError);
    expect(() => run.log({ x: 1 }, { step: -1 })).toThrow(TrackError);
    expect(run.step).toBe(0);
    run.log({ ok: 1 });
    await run.finish();
    expect(steps(store, run.id)).toEqual([{ step: 0, ok: 1 }]);
  });
  it("rejects bad ids", async () => {
    for (const id of ["a/b", "a\\b", "a#b", "a?b", "a%b", "a:b"]) {
      await expect(init({ id, store: new MemoryStore(), reinit: "create_new" })).rejects.toThrow(
        id,
      );
    }
  });
});

describe("summary", () => {
  it("last value by default, direct set overwritten by next log", async () => {
    const { run, store } = await start();
    run.log({ a: 1 });
    run.log({ a: 2 });
    expect(run.summary.a).toBe(2);
    run.summary.cost = 5;
    run.summary.a = 10;
    expect(run.summary.a).toBe(10);
    run.log({ a: 3 });
    expect(run.summary.a).toBe(3);
    await run.finish();
    expect(store.runs.get(run.id)!.summary).toEqual({ a: 3, cost: 5 });
  });
  it("defineMetric aggregates", async () => {
    const { run, store } = await start();
    run.defineMetric("acc", { summary: "max" });
    run.defineMetric("loss", { summary: "min,max,mean,first,last" });
    run.defineMetric("hidden", { summary: "none" });
    for (const [acc, loss] of [
      [0.5, 3],
      [0.9, 1],
      [0.7, 2],
    ]) {
      run.log({ acc, loss, hidden: 1 });
    }
    await run.finish();
    expect(store.runs.get(run.id)!.summary).toEqual({
      acc: { max: 0.9 },
      loss: { min: 1, max: 3, mean: 2, first: 3, last: 2 },
    });
    expect(() => run.defineMetric("x", { summary: "median" })).toThrow(TrackError);
  });
});

describe("config", () => {
  it("update refuses changes without allowValChange", async () => {
    const { run, store } = await start(new MemoryStore(), { config: { lr: 0.1 } });
    run.config.update({ lr: 0.1, bs: 32 });
    expect(() => run.config.update({ lr: 0.2 })).toThrow(/lr/);
    run.config.update({ lr: 0.2 }, { allowValChange: true });
    expect(run.config.lr).toBe(0.2);
    await run.finish();
    expect(store.runs.get(run.id)!.config).toEqual({ lr: 0.2, bs: 32 });
  });
});

describe("lifecycle", () => {
  it("finish sets state and exit code, idempotent", async () => {
    const { run, store } = await start();
    await run.finish(3);
    await run.finish(0);
    const r = store.runs.get(run.id)!;
    expect(r.state).toBe("failed");
    expect(r.exitCode).toBe(3);
    expect(() => run.log({ a: 1 })).toThrow(TrackError);
  });
  it("disabled mode writes nothing", async () => {
    const store = new MemoryStore();
    run = await init({ mode: "disabled", store, reinit: "create_new" });
    run.log({ a: 1 });
    run.log({ a: 2 }, { step: 10 });
    await run.finish();
    expect(store.runs.size).toBe(0);
  });
  it("online mode without a server is a clear error", async () => {
    const saved = process.env.AMLTK_BASE_URL;
    delete process.env.AMLTK_BASE_URL;
    try {
      await expect(init({ mode: "online", reinit: "create_new" })).rejects.toThrow(
        /needs a server/,
      );
    } finally {
      if (saved !== undefined) process.env.AMLTK_BASE_URL = saved;
    }
  });
  it("reinit default returns the previous run; finish_previous finishes it", async () => {
    const store = new MemoryStore();
    const a = await init({ store, systemInterval: 0, reinit: "create_new" });
    const b = await init({ store, systemInterval: 0 });
    expect(b).toBe(a);
    const c = await init({ store, systemInterval: 0, reinit: "finish_previous" });
    expect(c).not.toBe(a);
    expect(store.runs.get(a.id)!.state).toBe("finished");
    run = c;
  });
  it("resume continues from nextStep", async () => {
    const store = new MemoryStore();
    const a = await init({ store, id: "r1", systemInterval: 0, reinit: "create_new" });
    a.log({ x: 1 });
    a.log({ x: 2 });
    await a.finish();
    await expect(init({ store, id: "r1", resume: "never", reinit: "create_new" })).rejects.toThrow(
      TrackError,
    );
    await expect(init({ store, id: "nope", resume: "must", reinit: "create_new" })).rejects.toThrow(
      TrackError,
    );
    run = await init({ store, id: "r1", resume: "must", systemInterval: 0, reinit: "create_new" });
    expect(run.step).toBe(2);
    expect(run.summary.x).toBe(2);
    run.log({ x: 3 });
    await run.finish();
    expect(steps(store, "r1").map((r) => r.step)).toEqual([0, 1, 2]);
    expect(store.runs.get("r1")!.state).toBe("finished");
  });
  it("flusher writes in the background", async () => {
    const { run, store } = await start();
    run.log({ a: 1 });
    expect(store.history.get(run.id)!.length).toBe(0);
    // Nothing but the ~100 ms flusher can write it: wait for the condition, not a fixed time.
    await vi.waitFor(() => expect(store.history.get(run.id)!.length).toBe(1), {
      timeout: 10_000,
      interval: 20,
    });
  });
  it("1M logs in a synchronous loop are all persisted (speed lives in bench/track.ts)", async () => {
    const { run, store } = await start();
    for (let i = 0; i < 1_000_000; i++) run.log({ loss: i });
    // The loop never yields, so only backpressure can have written: memory stayed bounded.
    expect(store.history.get(run.id)!.length).toBeGreaterThan(900_000);
    await run.finish();
    const rows = store.history.get(run.id)!;
    expect(rows).toHaveLength(1_000_000);
    expect(rows[999_999]).toMatchObject({ step: 999_999, values: { loss: 999_999 } });
  });
});
