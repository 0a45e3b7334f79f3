/**
 * Durable sweeps on the queue executor (BullMQ on a private `redis-server`, real queue worker
 * processes): a driver killed with SIGKILL leaves its trials running on the workers; started
 * again with the same name it collects the ones that finished while it was away (finished,
 * not crashed), enqueues a trial it had journaled but not yet enqueued, and a worker killed
 * mid-trial gives that trial a crashed report once, never a second run; a driver killed after
 * a result arrived and before its report was journaled leaves the result in Redis, and the next
 * driver collects it (the journal in SQLite, and once in PostgreSQL). Checked against the
 * store and the workers' evaluation log. `AMLTK_FAULT_SEED` replays a run.
 */
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type PgCluster, postgresAvailability, startPostgres } from "../services/postgres.js";
import { type RedisServer, redisAvailability, startRedis } from "../services/redis.js";
import { skipBecause } from "../skip.js";
import { draw, ended, killGroup, SweepHarness } from "./sweep-harness.js";

const SEED = Number(process.env.AMLTK_FAULT_SEED ?? Date.now() % 100_000);
console.log(`sweep-queue: AMLTK_FAULT_SEED=${SEED}`);

const REDIS = redisAvailability("durable sweeps on the queue executor");
const skipped =
  skipBecause(
    process.platform !== "linux",
    "durable sweeps on the queue executor",
    `written for Linux (process groups, /proc); this is ${process.platform}`,
  ) || skipBecause(!REDIS.found, "durable sweeps on the queue executor", REDIS.reason);

const PG = postgresAvailability("a durable sweep's journal in PostgreSQL");
const noPostgres = skipBecause(!PG.found, "a durable sweep's journal in PostgreSQL", PG.reason);

/** The parent pid of `pid` (0 once it is gone). */
function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return 0;
  }
}

let h: SweepHarness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

describe.skipIf(skipped)("a durable sweep on the queue executor", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it("collects the trials that finished while its killed driver was away", async () => {
    h = new SweepHarness(2, 300);
    await Promise.all([h.queueWorker(redis.url), h.queueWorker(redis.url)]);
    const args = { name: "away", optimizer: "tpe", maxTrials: 12, redis: redis.url } as const;
    const n = draw(SEED, 0, 1, 6);
    await h.killAfterTold(args, n);
    // Both workers were busy when it died; wait until what they ran has finished.
    const harness = h;
    await expect
      .poll(
        () => {
          const done = new Set(harness.finishedEvaluations());
          return harness.evaluations().every((e) => done.has(e.trial));
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBe(true);
    const inFlight = h.evaluations().length - n;
    expect(inFlight, `seed ${SEED}, n ${n}`).toBeGreaterThan(0);
    expect(await h.runToEnd(args)).toMatchObject({ exit: "EXHAUSTED", history: 12 });
    // Collected, not crashed: no trial lost its result to the driver's death.
    expect((await h.checkStore("away", 12)).crashed).toEqual([]);
  }, 60_000);

  it("enqueues a trial journaled before its driver died, once", async () => {
    h = new SweepHarness(2, 5);
    await Promise.all([h.queueWorker(redis.url), h.queueWorker(redis.url)]);
    const args = {
      name: "journaled",
      optimizer: "random",
      maxTrials: 10,
      redis: redis.url,
    } as const;
    const k = draw(SEED, 1, 1, 8);
    const { child } = h.driver({ ...args, killAfterAsks: k });
    expect((await ended(child)).signal).toBe("SIGKILL");
    expect(await h.runToEnd(args)).toMatchObject({ exit: "EXHAUSTED", history: 10 });
    const { crashed } = await h.checkStore("journaled", 10);
    expect(crashed, `seed ${SEED}, k ${k}`).toEqual([]);
    expect(h.evaluations().length).toBe(10);
  }, 60_000);

  it("a driver killed between a result's arrival and its journal commit: collected, not rerun", async () => {
    h = new SweepHarness(2, 5);
    await Promise.all([h.queueWorker(redis.url), h.queueWorker(redis.url)]);
    const args = { name: "window", optimizer: "random", maxTrials: 8, redis: redis.url } as const;
    const k = draw(SEED, 2, 1, 6);
    const { child, lines } = h.driver({ ...args, killBeforeTell: k });
    expect((await ended(child)).signal, lines.join("\n")).toBe("SIGKILL");
    expect(await h.runToEnd(args)).toMatchObject({ exit: "EXHAUSTED", history: 8 });
    // 0 lost (every trial told, none crashed), 0 doubled (checkStore), 0 left running.
    const { crashed } = await h.checkStore("window", 8);
    expect(crashed, `seed ${SEED}, k ${k}`).toEqual([]);
    expect(h.evaluations().length).toBe(8);
    expect(h.running()).toEqual([]);
    // Every job was acknowledged once journaled, the last ones too: none is left in Redis.
    const admin = new Redis(redis.url);
    try {
      expect(await admin.keys("bull:sweeps:sweep.window.*")).toEqual([]);
    } finally {
      admin.disconnect();
    }
  }, 60_000);

  describe.skipIf(noPostgres)("with the journal in PostgreSQL", () => {
    let pg: PgCluster;
    beforeAll(async () => {
      pg = await startPostgres();
    }, 60_000);
    afterAll(() => pg?.stop());

    it("resumes a driver killed before a tell committed: every trial once", async () => {
      const postgres = await pg.createDatabase();
      h = new SweepHarness(2, 5);
      await Promise.all([h.queueWorker(redis.url), h.queueWorker(redis.url)]);
      const args = {
        name: "pg",
        optimizer: "tpe",
        maxTrials: 8,
        redis: redis.url,
        postgres,
      } as const;
      const k = draw(SEED, 3, 1, 6);
      const { child, lines } = h.driver({ ...args, killBeforeTell: k });
      expect((await ended(child)).signal, lines.join("\n")).toBe("SIGKILL");
      expect(await h.runToEnd(args)).toMatchObject({ exit: "EXHAUSTED", history: 8 });
      const { crashed } = await h.checkStore("pg", 8, postgres);
      expect(crashed, `seed ${SEED}, k ${k}`).toEqual([]);
      expect(h.evaluations().length).toBe(8);
    }, 90_000);
  });

  it("reports a trial whose worker was killed crashed, once, and finishes the sweep", async () => {
    h = new SweepHarness(2, 400);
    const doomed = await h.queueWorker(redis.url);
    await h.queueWorker(redis.url);
    const args = { name: "worker", optimizer: "tpe", maxTrials: 8, redis: redis.url } as const;
    const driver = h.driver(args);
    await driver.waitFor("told 2");
    // Killed while one of its trials runs (in a child process of the worker).
    const harness = h;
    await expect
      .poll(() => harness.running().some((e) => parentOf(e.pid) === doomed.pid), {
        timeout: 10_000,
        interval: 20,
      })
      .toBe(true);
    await killGroup(doomed);
    const done = await ended(driver.child);
    expect(done, driver.lines.join("\n")).toEqual({ code: 0, signal: null });
    const { crashed } = await h.checkStore("worker", 8);
    // Exactly the trials that started and never finished (the killed worker's) are crashed.
    const finished = new Set(h.finishedEvaluations());
    const cut = h
      .evaluations()
      .filter((e) => !finished.has(e.trial))
      .map((e) => e.trial);
    expect(cut.length).toBeGreaterThan(0);
    expect(crashed.sort()).toEqual(cut.sort());
  }, 60_000);
});
