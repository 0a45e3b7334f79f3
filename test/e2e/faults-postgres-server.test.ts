/**
 * Fault suite, the server on PostgreSQL killed mid-ingest: `amltk ui --store postgres://...`
 * (a child process, on a private cluster of `test/services/postgres.ts`) is SIGKILLed while
 * online writers (real processes: three on our batch protocol, one on the W&B protocol) stream
 * to it, and started again on the same port and database while they keep logging; then the
 * writers finish their runs (the W&B one by SIGTERM) and `amltk sync` delivers whatever their
 * spools kept. Counted in the database: every logged point stored once (0 lost, 0 doubled,
 * counted in the chunks themselves), each value the one logged at its step, every run closed
 * as its writer ended (finished; failed 143). The faults suite does the same on SQLite
 * (`faults-server.test.ts`).
 * A failure names the seed; `AMLTK_FAULT_SEED=<seed>` replays it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/optim/rng.js";
import { PostgresStore } from "../../src/store/postgres/index.js";
import { type PgCluster, postgresAvailability, startPostgres } from "../services/postgres.js";
import { skipBecause } from "../skip.js";
import { KEYS, loggedValue } from "./fault-count.js";
import { CLI_SCRIPT, type Proc, ProcGroup, reapAll } from "./fault-processes.js";
import { suiteSeed } from "./fault-scenarios.js";

const WRITER = fileURLToPath(new URL("./fault-finishing-writer.ts", import.meta.url));
const WANDB_WRITER = fileURLToPath(new URL("./wandb-fault-writer.ts", import.meta.url));
/**
 * Rows a writer logs per batch, about one batch a millisecond: a steady stream (a few thousand
 * points a second each) that keeps the server busy without making the count slow.
 */
const ROWS_PER_MS = 4;
/** Writers on our batch protocol; one more logs on the W&B protocol. */
const WRITERS = 3;
const DB = "server_kill";
const seed = suiteSeed();
const why = (more: string) => `seed ${seed} (replay: AMLTK_FAULT_SEED=${seed}): ${more}`;

const PG = postgresAvailability("server killed mid-ingest on PostgreSQL");
const noPg = skipBecause(!PG.found, "server killed mid-ingest on PostgreSQL", PG.reason);

/** `amltk ui --no-auth` over the database on `port` (0: any); resolves once it listens. */
async function startServer(procs: ProcGroup, url: string, port: number) {
  const args = ["ui", "--no-auth", "--port", String(port), "--store", url];
  const proc = procs.start("server", CLI_SCRIPT, args);
  const at = await proc.waitFor(
    "the server's URL",
    () => /amltk ui: (http:\/\/\S+)/.exec(proc.output)?.[1],
    30_000,
  );
  return { proc, url: at, port: Number(new URL(at).port) };
}

/** Resolves once `check()` holds; polls (a condition, not a pause) until `ms` have passed. */
async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(why(`no ${what} within ${ms} ms`));
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The rows a finished writer logged (its `done <rows>` line). */
function doneRows(w: Proc): number {
  const m = /^done (\d+)$/m.exec(w.output);
  if (!m) throw new Error(why(`${w.name} printed no done line:\n${w.tail()}`));
  return Number(m[1]);
}

/** Run `id` holds every step 0..rows-1 of each key once, with the logged values. */
async function expectEveryPointOnce(store: PostgresStore, id: string, rows: number) {
  for (const key of KEYS) {
    const points = await store.readPoints({ runId: id, key });
    const steps = points.map((p) => p.step);
    const wrong = points.filter((p) => p.value !== loggedValue(key, p.step)).length;
    expect(steps, why(`${id} ${key}: every step 0..${rows - 1}, once`)).toEqual(
      Array.from({ length: rows }, (_, s) => s),
    );
    expect(wrong, why(`${id} ${key}: values not the logged ones`)).toBe(0);
    // Counted in the chunks too: a batch applied twice would be merged away by reads.
    const raw = await store.pool.query<{ n: number }>(
      "SELECT coalesce(sum(n), 0)::int AS n FROM history_chunks WHERE run = $1 AND key = $2",
      [id, key],
    );
    expect(raw.rows[0]?.n, why(`${id} ${key}: points written`)).toBe(rows);
  }
}

describe.skipIf(noPg)(`the server on PostgreSQL SIGKILLed mid-ingest (seed ${seed})`, () => {
  let pg: PgCluster;
  let url: string;
  /** The writers' run folder (one spool per run under it, all sent by one `amltk sync`). */
  const runs = mkdtempSync(join(tmpdir(), "amltk-faults-pg-server-"));

  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase({ name: DB });
  }, 60_000);
  afterAll(async () => {
    await reapAll();
    await pg?.stop();
    rmSync(runs, { recursive: true, force: true });
  });

  it("online writers keep logging; after restart, finish and sync: 0 lost, 0 doubled", async () => {
    const rng = new Rng(seed);
    const procs = new ProcGroup();
    try {
      const first = await startServer(procs, url, 0);
      const ours = Array.from({ length: WRITERS }, (_, i) => {
        const id = `w${i}`;
        return {
          id,
          proc: procs.start(`writer ${id}`, WRITER, [runs, id, String(ROWS_PER_MS), first.url]),
        };
      });
      // One writer on the W&B protocol (file_stream, exactly once by line offset), ended by
      // SIGTERM: its run closes failed 143 with every point it logged.
      const wandb = {
        id: "wb",
        proc: procs.start("writer wb", WANDB_WRITER, [
          runs,
          "wb",
          String(ROWS_PER_MS),
          first.url,
          "",
        ]),
      };
      const writers = [...ours, wandb];
      await Promise.all(writers.map((w) => w.proc.started()));
      // The server has stored points of every writer: the kill lands in a stream of ingests.
      await until(
        "points of every writer in the database",
        async () => {
          const r = await pg.sql("SELECT count(DISTINCT run)::int AS n FROM history_chunks", DB);
          return r.rows[0].n === writers.length;
        },
        30_000,
      );
      first.proc.signal("SIGKILL");
      expect((await first.proc.ended).signal).toBe("SIGKILL");
      // Writers keep logging while nothing listens, and again once the server is back.
      const downAt = Date.now();
      await Promise.all(writers.map((w) => w.proc.waitLoggedAt(downAt + rng.int(200, 600))));
      const second = await startServer(procs, url, first.port);
      const backAt = Date.now();
      await Promise.all(writers.map((w) => w.proc.waitLoggedAt(backAt + rng.int(200, 600))));
      for (const w of ours) w.proc.signal("SIGUSR2");
      wandb.proc.signal("SIGTERM");
      for (const w of ours) {
        const ended = await w.proc.endWithin(60_000);
        expect(ended, why(`${w.id}:\n${w.proc.tail()}`)).toEqual({ code: 0, signal: null });
        // The kill reached it mid-stream: a send failed and was kept for a retry.
        expect(w.proc.output, why(`${w.id} never missed the server`)).toMatch(/unreachable/);
      }
      const wbEnded = await wandb.proc.endWithin(10_000);
      expect(wbEnded, why(`wb:\n${wandb.proc.tail()}`)).toEqual({ code: null, signal: "SIGTERM" });
      // What a finish could not deliver within its bound is in its spool: send it.
      const sync = procs.start("sync", CLI_SCRIPT, ["sync", "--dir", runs]);
      const synced = await sync.endWithin(60_000);
      expect(synced?.code, why(`amltk sync:\n${sync.tail()}`)).toBe(0);
      second.proc.signal("SIGTERM");
      await second.proc.endWithin(10_000);

      const store = await PostgresStore.open(url);
      try {
        for (const w of ours) {
          expect(await store.getRun(w.id), why(w.id)).toMatchObject({
            state: "finished",
            exitCode: 0,
          });
          await expectEveryPointOnce(store, w.id, doneRows(w.proc));
        }
        expect(await store.getRun("wb"), why("wb")).toMatchObject({
          state: "failed",
          exitCode: 143,
        });
        // A clean signal: the last progress line counts exactly what was logged.
        await expectEveryPointOnce(store, "wb", wandb.proc.rows);
      } finally {
        await store.close();
      }
    } finally {
      await procs.close();
    }
  }, 120_000);
});
