/**
 * The seed example on a queue, as a user runs it: `examples/seed-queue.ts` (the seed with only
 * the scheduler line changed, importing the built package) drives two `amltk worker` processes
 * (`bin/amltk.js`, from `dist/`) over a private redis-server. The W&B plugin runs in the
 * workers' trial processes, offline, into the workers' store (`AMLTK_DIR`): three finished
 * runs with their config, ten losses and the cost, as with the processes executor.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { type RedisServer, redisAvailability, startRedis } from "../services/redis.js";
import { skipBecause } from "../skip.js";
import { ROOT, startWorker, stopAllWorkers } from "./queue-workers.js";

const exec = promisify(execFile);
const REDIS = redisAvailability("seed example on a queue");
const BIN = join(ROOT, "bin", "amltk.js");
const built = existsSync(join(ROOT, "dist", "cli", "main.js"));
const skip =
  skipBecause(!REDIS.found, "seed example on a queue", REDIS.reason) ||
  skipBecause(!built, "seed example on a queue", "no dist/ build: run `npm run build` first");

const CONFIGS = [
  { x: 1, y: 2, z: 3 },
  { x: -1, y: 2, z: 3 },
  { x: -1, y: 3, z: 4 },
];
const COSTS = [5, 5, 7];
const lossAt = (c: { x: number; y: number; z: number }, i: number) =>
  i * c.x + 3 * (i * c.y) - (i * c.z) ** 2;

describe.skipIf(skip)("examples/seed-queue.ts on amltk worker processes", () => {
  let redis: RedisServer;
  let dir: string;
  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), "amltk-seed-queue-"));
  });
  afterAll(async () => {
    await stopAllWorkers();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("tracks each trial as a finished run in the workers' offline store", async () => {
    const env = { AMLTK_DIR: dir };
    await Promise.all(
      [1, 2].map(() => startWorker(redis.url, "seed", { env, cli: BIN, concurrency: 1 })),
    );
    const { stdout } = await exec(
      process.execPath,
      ["--import", "tsx", join(ROOT, "examples", "seed-queue.ts")],
      { cwd: ROOT, env: { ...process.env, AMLTK_REDIS_URL: redis.url, AMLTK_DIR: dir } },
    );
    expect(stdout).toMatch(/trial-0: success/);
    expect(stdout).toMatch(/trial-2: success/);
    const store = await SqliteStore.open(dir);
    try {
      const { runs } = await store.listRuns();
      expect(runs.map((r) => r.name).sort()).toEqual(["trial-0", "trial-1", "trial-2"]);
      for (const run of runs) {
        const i = Number(run.name.slice("trial-".length));
        const config = CONFIGS[i] as (typeof CONFIGS)[number];
        expect(run.config).toEqual(config);
        expect(run.state).toBe("finished");
        expect(run.summary.cost).toBe(COSTS[i]);
        const rows = await store.readHistory(run.id);
        const losses = rows.filter((r) => "loss" in r.values).map((r) => r.values.loss);
        expect(losses).toEqual(Array.from({ length: 10 }, (_, s) => lossAt(config, s)));
      }
    } finally {
      await store.close();
    }
  });
});
