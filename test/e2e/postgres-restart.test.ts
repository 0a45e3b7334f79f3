/**
 * The database restarted under load: 10 online writers (child processes) log through a server
 * on PostgreSQL while `pg_ctl restart` cuts every connection (57P01, then refused connections
 * until it is back). The server's store retries its transactions, the clients retry what was
 * not acknowledged, and the exactly-once ledger makes every retry a no-op when the first try
 * did commit: after the writers finish, each run holds every step exactly once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type StoreBackend,
  startServerOn,
  type TestServer,
  tempDir,
} from "../../src/server/server.test-helpers.js";
import { PostgresStore } from "../../src/store/postgres/index.js";
import { deliverSpools } from "../../src/track/online/index.js";
import { type PgCluster, postgresAvailability, startPostgres } from "../services/postgres.js";
import { skipBecause } from "../skip.js";

const WRITER = fileURLToPath(new URL("./online-paced-writer.ts", import.meta.url));
const WRITERS = 10;
const ROWS = 20_000;

/** A writer child: resolves `started` at its "started" line and `ended` when it exits. */
function startWriter(args: readonly string[]) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", WRITER, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let onStart: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    onStart = resolve;
  });
  child.stdout!.on("data", (b) => {
    out += b;
    if (out.includes("started")) onStart();
  });
  child.stderr!.on("data", (b) => {
    out += b;
  });
  const ended = new Promise<{ code: number | null; out: string }>((resolve) =>
    child.on("close", (code) => {
      onStart();
      resolve({ code, out });
    }),
  );
  return { child, started, ended };
}

const PG = postgresAvailability("PostgreSQL restart under load");
const noPg = skipBecause(!PG.found, "PostgreSQL restart under load", PG.reason);

describe.skipIf(noPg)("PostgreSQL restarted while 10 online writers log", () => {
  let pg: PgCluster;
  let ts: TestServer<PostgresStore>;
  const folders: string[] = [];

  beforeAll(async () => {
    pg = await startPostgres();
    const url = await pg.createDatabase({ name: "restart" });
    const backend: StoreBackend<PostgresStore> = {
      name: "postgres",
      open: () => PostgresStore.open(url, { retryForMs: 30_000 }),
    };
    ts = await startServerOn(backend);
  });
  let cleanupWriters = () => {};
  afterAll(async () => {
    cleanupWriters();
    await ts?.stop();
    await pg?.stop();
    for (const d of folders) rmSync(d, { recursive: true, force: true });
  });

  it("loses nothing and doubles nothing", async () => {
    let done = 0;
    const writers = Array.from({ length: WRITERS }, (_, i) =>
      startWriter([
        join(folders[folders.push(tempDir("amltk-pg-writer-")) - 1]!, "runs"),
        ts.server.url,
        ts.key,
        `w${i}`,
        String(ROWS),
      ]),
    );
    cleanupWriters = () => {
      for (const w of writers) w.child.kill("SIGKILL");
    };
    for (const w of writers) void w.ended.then(() => done++);
    // Every writer is mid-stream (a tenth logged): restart now.
    await Promise.all(writers.map((w) => w.started));
    const doneAtRestart = done;
    await pg.restartAsync("fast");
    const results = await Promise.all(writers.map((w) => w.ended));
    for (const r of results) expect(r.code, r.out).toBe(0);
    // What a writer's finish could not deliver in its 5 s stays in its spool: deliver it, as
    // `amltk sync` does (the fault suite's way too).
    for (const dir of folders) {
      const sync = deliverSpools({ dir: join(dir, "runs"), apiKey: ts.key });
      expect(await sync.done(60_000)).toBe(true);
      sync.stop();
    }
    // The restart hit writers at work (else this test proved nothing).
    expect(doneAtRestart).toBeLessThan(WRITERS);
    for (let i = 0; i < WRITERS; i++) {
      const runId = `w${i}`;
      for (const key of ["loss", "i"]) {
        const pts = await ts.store.readPoints({ runId, key });
        expect(pts.length, `${runId} ${key}`).toBe(ROWS);
        expect(pts.every((p, step) => p.step === step)).toBe(true);
      }
      // Raw rows too: a doubled chunk would be merged away by readPoints, not here.
      const raw = await ts.store.pool.query<{ n: number }>(
        "SELECT sum(n)::int AS n FROM history_chunks WHERE run = $1 AND key = 'loss'",
        [runId],
      );
      expect(raw.rows[0]!.n).toBe(ROWS);
      expect((await ts.store.getRun(runId))?.state).toBe("finished");
    }
  });
});
