import { describe, expect, it, vi } from "vitest";
import { MemoryStore } from "./memory-store.js";
import { RunClock, startRunClock, stopRunClock } from "./run-clock.js";
import { RunSink } from "./run-sink.js";
import { SummaryState } from "./summary.js";

/** A real sink on a real in-memory store, with a stored run `r1`; counts the store's writes. */
async function sinkOnStore() {
  const store = new MemoryStore();
  await store.createRun({ id: "r1", project: "p", name: "r1", createdAt: Date.now() });
  const writes = { beats: 0, flushes: 0 };
  const update = store.updateRun.bind(store);
  store.updateRun = async (id, patch) => {
    if (Object.keys(patch).length === 1 && patch.heartbeatAt !== undefined) writes.beats++;
    return update(id, patch);
  };
  const sink = new RunSink(store, {
    id: "r1",
    summary: new SummaryState(),
    configData: {},
    onFlush: () => {
      writes.flushes++;
    },
    capture: null,
    freshRun: true,
    maxBytes: 1 << 20,
    create: null,
  });
  return { store, sink, writes };
}

describe("RunClock", () => {
  it("runs each job when a timer of its own would have, on the defaults' multiples", async () => {
    const { sink, writes } = await sinkOnStore();
    let samples = 0;
    const clock = new RunClock(sink, "r1", { flush: 100, heartbeat: 5000, system: 10_000 }, () => {
      samples++;
    });
    expect(clock.period).toBe(100);
    const beatsAt: number[] = [];
    for (let tick = 1; tick <= 200; tick++) {
      const before = writes.beats;
      sink.configUpdated(); // something pending, so every due flush writes
      clock.tick();
      if (writes.beats > before) beatsAt.push(tick * clock.period);
    }
    expect(writes.flushes).toBe(200);
    expect(beatsAt).toEqual([5000, 10_000, 15_000, 20_000]);
    expect(samples).toBe(2);
    await sink.flush();
  });

  it("ticks at the shortest interval and flushes no more often than its own", async () => {
    const { sink, writes } = await sinkOnStore();
    const clock = new RunClock(sink, "r1", { flush: 100, heartbeat: 20, system: 0 }, null);
    expect(clock.period).toBe(20);
    for (let tick = 0; tick < 50; tick++) {
      sink.configUpdated();
      clock.tick();
    }
    expect(writes.flushes).toBe(10); // 1,000 ms of ticks, a flush per 100 ms
    expect(writes.beats).toBe(50);
    await sink.flush();
  });

  it("treats delays as setInterval does: below 1 ms, NaN or past the maximum is 1 ms", async () => {
    const { sink } = await sinkOnStore();
    const clock = new RunClock(sink, "r1", { flush: 0, heartbeat: Number.NaN, system: 5 }, null);
    expect(clock.period).toBe(1);
    const huge = new RunClock(sink, "r1", { flush: 2 ** 40, heartbeat: 5000, system: 0 }, null);
    expect(huge.period).toBe(1);
  });

  it("ticks every live clock from one process-wide timer until each is stopped", async () => {
    const { sink } = await sinkOnStore();
    const samples = { a: 0, b: 0 };
    const every = { flush: 1000, heartbeat: 60_000, system: 10 };
    const a = startRunClock(sink, "r1", every, () => {
      samples.a++;
    });
    const wait = { timeout: 20_000, interval: 5 };
    await vi.waitFor(() => expect(samples.a).toBeGreaterThanOrEqual(2), wait);
    const b = startRunClock(sink, "r1", every, () => {
      samples.b++;
    });
    await vi.waitFor(() => expect(samples.b).toBeGreaterThanOrEqual(2), wait);
    expect(samples.a).toBeGreaterThanOrEqual(3); // both tick while both are live
    stopRunClock(a);
    const stoppedAt = samples.a;
    const bAtStop = samples.b;
    // Three more ticks of the other clock: time enough for the stopped one to have ticked.
    await vi.waitFor(() => expect(samples.b).toBeGreaterThanOrEqual(bAtStop + 3), wait);
    stopRunClock(b);
    expect(samples.a).toBe(stoppedAt);
  });
});
