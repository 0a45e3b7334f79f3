/**
 * Fault suite, our tracker on the W&B protocol (`init({ mode: "online", protocol: "wandb" })`)
 * against our own server's W&B routes (an in-process `createServer` on 127.0.0.1): a real
 * writer process logs and is killed mid-logging with SIGKILL, SIGINT and SIGTERM at a seeded
 * time; `amltk sync` (or the next `init` in the same folder) sends what its spool held; the
 * server's store is counted:
 * - every point in the spool at the writer's death reaches the server, and every point logged
 *   200 ms before it (write-ahead: the spool is written every ~100 ms);
 * - SIGINT/SIGTERM: every point logged arrives, the run is `failed` with 130/143 and the
 *   writer ended by the signal;
 * - nothing is stored twice, also when the spool forgot every acknowledgement (a death between
 *   each answer and its `acked.json` write): the server takes each line once by its offset;
 * - nothing is stored that was never logged, and the delivered spool is removed.
 * A failure names the seed; `AMLTK_FAULT_SEED=<seed>` replays it.
 */
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { Rng } from "../../src/optim/rng.js";
import { startTestServer, type TestServer, tempDir } from "../../src/server/server.test-helpers.js";
import { init } from "../../src/track/init.js";
import { syncWandbSpools } from "../../src/track/wandb-online/sync.js";
import { countStore, firstRows, missing, type Points, size } from "./fault-count.js";
import { BATCH, CLI_SCRIPT, type Proc, ProcGroup, reapAll } from "./fault-processes.js";
import { SIGNAL_EXIT_CODES, suiteSeed } from "./fault-scenarios.js";
import { forgetAcknowledgements, readWandbSpool, spoolFolders } from "./wandb-spool-count.js";

const WRITER = fileURLToPath(new URL("./wandb-fault-writer.ts", import.meta.url));
const seed = suiteSeed();
const rng = new Rng(seed);
const why = (more: string) => `seed ${seed} (replay: AMLTK_FAULT_SEED=${seed}): ${more}`;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await reapAll();
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** One scenario's server, client folder and processes, all cleaned up after the test. */
async function setUp(): Promise<{ ts: TestServer; dir: string; procs: ProcGroup }> {
  const ts = await startTestServer();
  const dir = tempDir("amltk-wb-faults-");
  const procs = new ProcGroup();
  cleanup.push(
    () => ts.stop(),
    () => rmSync(dir, { recursive: true, force: true }),
    () => procs.close(),
  );
  return { ts, dir, procs };
}

/** Starts a writer, lets it log for a seeded 300-800 ms, signals it; returns what it did. */
async function logThenKill(
  procs: ProcGroup,
  ts: TestServer,
  dir: string,
  runId: string,
  signal: NodeJS.Signals,
) {
  const args = [dir, runId, String(BATCH), ts.server.url, ts.key];
  const writer = procs.start("writer", WRITER, args);
  const start = await writer.started();
  await writer.waitLoggedAt(start + rng.int(300, 800));
  const signalledAt = Date.now();
  writer.signal(signal);
  const ended = await writer.endWithin(10_000);
  return { writer, ended, signalledAt };
}

/** Rows the writer had reported as logged at or before `time` (epoch ms). */
function rowsLoggedBy(writer: Proc, time: number): number {
  let rows = 0;
  for (const p of writer.progress) if (p.at <= time) rows = p.rows;
  return rows;
}

/** `amltk sync --dir dir` from source, with the server's key, to its end (bounded). */
async function sync(procs: ProcGroup, dir: string, key: string) {
  const args = ["sync", "--dir", dir, "--timeout", "20", "--api-key", key];
  const proc = procs.start("sync", CLI_SCRIPT, args);
  const ended = await proc.endWithin(30_000);
  return { code: ended?.code ?? null, output: proc.output };
}

/** Points stored at a step the writer never logged (at or past `limit`). */
function beyond(points: Points, limit: number): number {
  let n = 0;
  for (const steps of points.values()) for (const s of steps) if (s >= limit) n++;
  return n;
}

/** The server's store counted against what the writer owed. */
async function expectStored(
  ts: TestServer,
  runId: string,
  owed: Points,
  stepLimit: number,
  context: string,
) {
  const stored = await countStore(ts.dir, runId);
  expect(stored.run, why(`the run is on the server; ${context}`)).not.toBeNull();
  expect(missing(owed, stored.points), why(`points lost of ${size(owed)}; ${context}`)).toBe(0);
  expect(stored.doubled, why(`points stored twice; ${context}`)).toBe(0);
  expect(stored.wrongValue, why(`points with another value; ${context}`)).toBe(0);
  expect(beyond(stored.points, stepLimit), why(`points never logged; ${context}`)).toBe(0);
  return stored;
}

describe(`W&B-protocol writer killed mid-logging (seed ${seed})`, () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal}: amltk sync delivers every logged point once, the run failed ${SIGNAL_EXIT_CODES[signal]}`, async () => {
      const { ts, dir, procs } = await setUp();
      const runId = `wb-${signal.toLowerCase()}`;
      const { writer, ended } = await logThenKill(procs, ts, dir, runId, signal);
      const context = `logged ${writer.rows} rows; writer printed: ${writer.tail(500)}`;
      expect(ended, why(context)).toEqual({ code: null, signal });
      const code = SIGNAL_EXIT_CODES[signal];
      // The exit path wrote everything and the close into the spool before the process ended.
      const spool = readWandbSpool(dir, runId);
      expect(spool.exitcodes, why(context)).toEqual([code]);
      expect(missing(firstRows(writer.rows), spool.points), why(context)).toBe(0);

      const synced = await sync(procs, dir, ts.key);
      expect(synced.code, why(synced.output)).toBe(0);
      const stored = await expectStored(ts, runId, firstRows(writer.rows), writer.rows, context);
      expect(stored.run, why(context)).toEqual({ state: "failed", exitCode: code });
      expect(spoolFolders(dir, runId), why("the delivered spool is removed")).toEqual([]);
    }, 60_000);
  }

  it("SIGKILL: amltk sync delivers the spool once, also with every acknowledgement forgotten", async () => {
    const { ts, dir, procs } = await setUp();
    const runId = "wb-sigkill";
    const { writer, ended, signalledAt } = await logThenKill(procs, ts, dir, runId, "SIGKILL");
    const context = `logged ${writer.rows} rows; writer printed: ${writer.tail(500)}`;
    expect(ended?.signal, why(context)).toBe("SIGKILL");
    const spool = readWandbSpool(dir, runId);
    expect(spool.folders.length, why(context)).toBe(1);
    // Write-ahead: what was logged 200 ms before the kill had been flushed to the spool.
    const old = firstRows(rowsLoggedBy(writer, signalledAt - 200));
    expect(size(old), why("nothing logged 200 ms before the kill")).toBeGreaterThan(0);
    expect(missing(old, spool.points), why(context)).toBe(0);
    // Some of it reached the server already; make sync send all of it again.
    forgetAcknowledgements(spool.folders[0] as string);

    const synced = await sync(procs, dir, ts.key);
    expect(synced.code, why(synced.output)).toBe(0);
    // Every history line went again (each holds both keys), the ones the server had included.
    const sent = Number(/(\d+) lines sent/.exec(synced.output)?.[1] ?? 0);
    expect(sent, why(synced.output)).toBeGreaterThanOrEqual(size(spool.points) / 2);
    // Under SIGKILL the writer may have logged one batch past its last line.
    await expectStored(ts, runId, spool.points, writer.rows + BATCH, context);
    expect(spoolFolders(dir, runId)).toEqual([]);
    const again = await syncWandbSpools({ dir, apiKey: ts.key, timeoutMs: 10_000 });
    expect(again, why("a second sync finds nothing")).toEqual([]);
  }, 60_000);

  it("SIGKILL, then the next init in the folder delivers the spool once", async () => {
    const { ts, dir, procs } = await setUp();
    const runId = "wb-next-init";
    const { writer, ended } = await logThenKill(procs, ts, dir, runId, "SIGKILL");
    const context = `logged ${writer.rows} rows; writer printed: ${writer.tail(500)}`;
    expect(ended?.signal, why(context)).toBe("SIGKILL");
    const spool = readWandbSpool(dir, runId);
    expect(size(spool.points), why(context)).toBeGreaterThan(0);
    // A later script in the same folder: its init sends what the dead one left, in the
    // background, and its finish waits for that (within its bound).
    const next = await init({
      mode: "online",
      protocol: "wandb",
      dir,
      id: "wb-next",
      baseUrl: ts.server.url,
      apiKey: ts.key,
      project: "faults",
      systemInterval: 0,
      finishTimeoutMs: 20_000,
    });
    next.log({ a: 0, b: 0 });
    await next.finish();
    await expectStored(ts, runId, spool.points, writer.rows + BATCH, context);
    expect(spoolFolders(dir, runId), why("the delivered spool is removed")).toEqual([]);
    expect(await ts.store.getRun("wb-next")).toMatchObject({ state: "finished", exitCode: 0 });
  }, 60_000);
});
