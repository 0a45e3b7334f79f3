import { expect, it, vi } from "vitest";
import { init } from "./init.js";
import { MemoryStore } from "./memory-store.js";

it("updates heartbeatAt and samples system metrics while running, and stops at finish", async () => {
  const store = new MemoryStore();
  const run = await init({
    store,
    systemInterval: 20,
    heartbeatInterval: 20,
    reinit: "create_new",
  });
  const created = store.runs.get(run.id)!.heartbeatAt;
  // Wait on the conditions themselves (timers fire every 20 ms), not on a fixed delay.
  const wait = { timeout: 20_000, interval: 10 };
  await vi.waitFor(
    () => expect(store.runs.get(run.id)!.heartbeatAt).toBeGreaterThan(created),
    wait,
  );
  await vi.waitFor(() => expect(store.system.get(run.id)?.length ?? 0).toBeGreaterThan(0), wait);
  const samples = store.system.get(run.id)!;
  expect(Object.keys(samples[0].values)).toEqual(
    expect.arrayContaining(["system/cpu", "system/rss_mib", "system/memory"]),
  );
  await run.finish();
  const n = samples.length;
  // After finish the timers are cleared: a later heartbeat of another run proves time passed.
  const other = await init({
    store,
    systemInterval: 0,
    heartbeatInterval: 20,
    reinit: "create_new",
  });
  const t0 = store.runs.get(other.id)!.heartbeatAt;
  await vi.waitFor(() => expect(store.runs.get(other.id)!.heartbeatAt).toBeGreaterThan(t0), wait);
  await vi.waitFor(
    () => expect(store.runs.get(other.id)!.heartbeatAt).toBeGreaterThan(t0 + 60),
    wait,
  );
  expect((store.system.get(run.id) ?? []).length).toBe(n);
  await other.finish();
});
