/**
 * Tracker micro-benchmark. Run: `npx tsx bench/track.ts`. Prints JSON:
 * init+finish median (ms) over 1,000 runs (MemoryStore and one shared SqliteStore in a temp dir),
 * and log() calls per second for 1,000,000 `log({ loss: i })` calls.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../src/store/sqlite/index.js";
import type { Store } from "../src/store/types.js";
import { init } from "../src/track/init.js";
import { MemoryStore } from "../src/track/memory-store.js";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function initFinish(store: Store, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const run = await init({ store, systemInterval: 0, reinit: "create_new" });
    await run.finish();
    times.push(performance.now() - t);
  }
  return median(times);
}

async function logRate(
  store: Store,
  n: number,
): Promise<{ callsPerSec: number; finishMs: number }> {
  const run = await init({ store, systemInterval: 0, reinit: "create_new" });
  const t = performance.now();
  for (let i = 0; i < n; i++) run.log({ loss: i });
  const dt = performance.now() - t;
  const t2 = performance.now();
  await run.finish();
  return { callsPerSec: Math.round(n / (dt / 1000)), finishMs: performance.now() - t2 };
}

const dir = mkdtempSync(join(tmpdir(), "amltk-bench-"));
try {
  const sqlite = await SqliteStore.open(dir);
  const out = {
    initFinishMedianMs: {
      memory: await initFinish(new MemoryStore(), 1000),
      sqlite: await initFinish(sqlite, 1000),
    },
    log1M: {
      memory: await logRate(new MemoryStore(), 1_000_000),
      sqlite: await logRate(sqlite, 1_000_000),
    },
  };
  await sqlite.close();
  console.log(JSON.stringify(out, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
