/**
 * The W&B plugin in online mode on queue workers: two `amltk worker` processes, configured
 * only through their environment (`AMLTK_BASE_URL`, `AMLTK_API_KEY`, as on a remote machine),
 * run the seed's sweep with the plugin, and every trial's run arrives on a real tracking
 * server (`createServer` on 127.0.0.1) with its config, losses and cost; nothing is left in
 * the workers' local store. The driver (this process) has neither variable.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Scheduler } from "../../src/scheduling/scheduler.js";
import { startTestServer, type TestServer, tempDir } from "../../src/server/server.test-helpers.js";
import { Metric } from "../../src/trial/metric.js";
import type { TrialReport } from "../../src/trial/report.js";
import { Trial } from "../../src/trial/trial.js";
import { WandbPlugin } from "../../src/wandb/index.js";
import { targetFunction } from "../../src/wandb/test-fixtures/fns.js";
import { type RedisServer, redisAvailability, startRedis } from "../services/redis.js";
import { skipBecause } from "../skip.js";
import { startWorker, stopAllWorkers } from "./queue-workers.js";

type XYZ = { x: number; y: number; z: number };
const CONFIGS: XYZ[] = [
  { x: 1, y: 2, z: 3 },
  { x: -1, y: 2, z: 3 },
  { x: -1, y: 3, z: 4 },
  { x: 2, y: 0, z: 1 },
];
const lossAt = (c: XYZ, i: number) => i * c.x + 3 * (i * c.y) - (i * c.z) ** 2;

const REDIS = redisAvailability("the W&B plugin online on queue workers");
const skip = skipBecause(!REDIS.found, "the W&B plugin online on queue workers", REDIS.reason);

describe.skipIf(skip)("the W&B plugin in online mode on amltk worker processes", () => {
  let redis: RedisServer;
  let ts: TestServer;
  let workerDir: string;
  beforeAll(async () => {
    redis = await startRedis();
    ts = await startTestServer();
    workerDir = tempDir("amltk-queue-online-worker-");
  }, 60_000);
  afterAll(async () => {
    await stopAllWorkers();
    await redis?.stop();
    await ts?.stop();
    if (workerDir) rmSync(workerDir, { recursive: true, force: true });
  });

  it("every trial's run arrives on the tracking server", async () => {
    expect(process.env.AMLTK_BASE_URL).toBeUndefined();
    const env = { AMLTK_BASE_URL: ts.server.url, AMLTK_API_KEY: ts.key, AMLTK_DIR: workerDir };
    await Promise.all([1, 2].map(() => startWorker(redis.url, "online", { env, concurrency: 1 })));
    const plugin = new WandbPlugin({ project: "seed-queue-online", group: "seed", mode: "online" });
    const scheduler = Scheduler.withQueue({
      connection: redis.url,
      queue: "online",
      maxWorkers: 2,
    });
    const task = new Trial.Task<XYZ>(targetFunction, scheduler, {
      plugins: [plugin.trialTracker()],
    });
    const reports: TrialReport[] = [];
    const configs = CONFIGS.entries();
    const submitNext = () => {
      const next = configs.next();
      if (next.done) return;
      const [i, config] = next.value;
      const metrics = [new Metric("cost", { minimize: true })];
      task.submit(new Trial<XYZ>({ name: `trial-${i}`, config, metrics }));
    };
    scheduler.on("onStart", () => {
      submitNext();
      submitNext();
    });
    task.on("onReport", (r) => {
      reports.push(r);
      submitNext();
    });
    await scheduler.run();
    expect(reports.map((r) => [r.name, r.status, r.exception])).toEqual(
      expect.arrayContaining(CONFIGS.map((_, i) => [`trial-${i}`, "success", null])),
    );

    const { runs } = await ts.store.listRuns({ project: "seed-queue-online" });
    runs.sort((a, b) => a.name.localeCompare(b.name));
    expect(runs.map((r) => [r.name, r.state, r.group])).toEqual(
      CONFIGS.map((_, i) => [`trial-${i}`, "finished", "seed"]),
    );
    for (const [i, run] of runs.entries()) {
      const config = CONFIGS[i] as XYZ;
      expect(run.config).toMatchObject(config);
      expect(run.summary).toMatchObject({ cost: config.y + config.z });
      const loss = await ts.store.readPoints({ runId: run.id, key: "loss" });
      expect(loss.map((p) => p.value)).toEqual(
        Array.from({ length: 10 }, (_, s) => lossAt(config, s)),
      );
    }
    // Online: nothing went to the workers' own store.
    const local = existsSync(workerDir) ? readdirSync(workerDir) : [];
    expect(local.filter((f) => f.endsWith(".db"))).toEqual([]);
  }, 90_000);
});
