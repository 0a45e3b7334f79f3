/**
 * The code of a {@link WalCheckpointer}'s thread: its own connection to the store's file,
 * running `PRAGMA wal_checkpoint(PASSIVE)` every few hundred milliseconds while the WAL has
 * frames not yet copied back.
 *
 * {@link checkpointThreadMain} is started as the source text of one self-contained function
 * (`checkpointThreadSource`), not as a module file: from TypeScript sources (tests, benches,
 * `tsx`) a module thread would have to register a TypeScript loader first, which costs the
 * host ~300 ms of CPU per sweep (measured: 330-410 ms against 40-55 for a bare thread) while
 * the pool's workers need the cores. The function's text is the same JavaScript built or run
 * through a loader, so both start the same way; it therefore uses nothing from this module's
 * scope: only its arguments, which the thread's prelude gives it.
 */

import type { MessagePort } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

/** What the checkpointer hands its thread. */
export interface CheckpointThreadData {
  /** The store's database file. */
  file: string;
  /** How often the thread looks at the WAL. */
  intervalMs: number;
  /** better-sqlite3's entry file, resolved by the host (the thread's `require` has no base). */
  driver: string;
}

/** What the thread sends after each checkpoint that copied frames, and when asked to stop. */
export interface CheckpointThreadBye {
  checkpoints: number;
  /** The first error a checkpoint met (the thread goes on trying), if any. */
  error?: string;
  /** Whether this checkpoint copied every frame in the WAL. */
  complete?: boolean;
  /** The thread's last message: it stopped. */
  done?: true;
}

type Db = BetterSqlite3.Database;
type CheckpointRow = { busy: number; log: number; checkpointed: number };

/**
 * The thread's whole work, started by `checkpointThreadSource`: looks at the WAL every
 * `data.intervalMs`, opens the file once it exists (the first trial's write creates it),
 * checkpoints, reports progress, and closes its connection when asked to stop.
 *
 * Self-contained on purpose (see the module's comment): every helper is inside.
 */
export function checkpointThreadMain(
  port: MessagePort,
  data: CheckpointThreadData,
  Database: typeof BetterSqlite3,
  fileExists: (file: string) => boolean,
): void {
  /*
   * A WAL this many frames long gets a RESTART checkpoint after the PASSIVE one. A writer
   * starts the WAL over only if, as its transaction begins, every frame is copied and no other
   * connection is reading; under a sweep's steady commits that seldom happens (measured: once
   * in 20 complete PASSIVE checkpoints), so the WAL grew to the workers' safety net. RESTART
   * takes the write lock for the few frames PASSIVE left and waits for readers (one short wait
   * for the writers, instead of a whole checkpoint inside one of their commits); the next
   * writer then starts the WAL over.
   */
  const RESTART_FRAMES = 2_000;
  /** The longest a RESTART checkpoint waits for the writers; it gives up (harmlessly) after. */
  const RESTART_WAIT_MS = 100;

  let db: Db | undefined;
  let checkpoints = 0;
  let error: string | undefined;
  let lastVersion = -1;
  let complete = true;

  const openWhenThere = (): Db | undefined => {
    if (!fileExists(data.file)) return undefined;
    // The busy timeout bounds how long a RESTART checkpoint waits for a writer to finish.
    const opened = new Database(data.file, { fileMustExist: true, timeout: RESTART_WAIT_MS });
    opened.pragma("synchronous = NORMAL");
    return opened;
  };
  const checkpoint = (open: Db, mode: "PASSIVE" | "RESTART"): CheckpointRow | undefined =>
    (open.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[])[0];

  const tick = (): void => {
    try {
      db ??= openWhenThere();
      if (!db) return;
      // `data_version` changes when another connection commits: nothing new since a complete
      // checkpoint, nothing to copy. A partial one (a reader held old frames) is tried again.
      const version = db.pragma("data_version", { simple: true }) as number;
      if (version === lastVersion && complete) return;
      lastVersion = version;
      // PASSIVE copies the frames no reader still needs, without waiting for anyone, so the
      // workers' commits never wait on it; `log` frames in the WAL, `checkpointed` copied.
      let row = checkpoint(db, "PASSIVE");
      if (row && row.log >= RESTART_FRAMES) {
        row = checkpoint(db, "RESTART") ?? row;
      }
      if (!row) return;
      // Complete: the next writer starts the WAL over from its beginning, so it stays small.
      complete = row.log === row.checkpointed;
      if (row.checkpointed > 0) {
        checkpoints++;
        port.postMessage({ checkpoints, complete } satisfies CheckpointThreadBye);
      }
    } catch (err) {
      error ??= (err as Error).message;
    }
  };
  const timer = setInterval(tick, data.intervalMs);
  port.on("message", (msg: { stop?: true }) => {
    // Stop: the reply carries `done` (after the last progress message, on the same port).
    if (!msg.stop) return;
    clearInterval(timer);
    try {
      db?.close();
    } catch (err) {
      error ??= (err as Error).message;
    }
    port.postMessage({ checkpoints, error, done: true } satisfies CheckpointThreadBye);
    port.close();
  });
}

/**
 * The thread's source: a CommonJS prelude that takes the port, the data, better-sqlite3 and
 * `existsSync`, then calls {@link checkpointThreadMain}'s text. `__name` is esbuild's
 * keep-names helper, which `tsx` and Vite insert into transformed functions and which the
 * function's text would otherwise reference without its module.
 */
export function checkpointThreadSource(): string {
  return [
    "const __name = (fn) => fn;",
    'const { parentPort, workerData } = require("node:worker_threads");',
    'const { existsSync } = require("node:fs");',
    `(${checkpointThreadMain.toString()})(parentPort, workerData, require(workerData.driver), existsSync);`,
  ].join("\n");
}
