import { expect, it } from "vitest";
import { init } from "./init.js";
import { MemoryStore } from "./memory-store.js";

it("updates heartbeatAt and samples system metrics while running", async () => {
  const store = new MemoryStore();
  const run = await init({
    store,
    systemInterval: 20,
    heartbeatInterval: 20,
    reinit: "create_new",
  });
  const created = store.runs.get(run.id)!.heartbeatAt;
  await new Promise((r) => setTimeout(r, 120));
  expect(store.runs.get(run.id)!.heartbeatAt).toBeGreaterThan(created);
  const samples = store.system.get(run.id) ?? [];
  expect(samples.length).toBeGreaterThan(0);
  expect(Object.keys(samples[0].values).sort()).toEqual(["system/cpu", "system/rss_mib"]);
  await run.finish();
  const n = samples.length;
  await new Promise((r) => setTimeout(r, 60));
  expect((store.system.get(run.id) ?? []).length).toBe(n);
});
