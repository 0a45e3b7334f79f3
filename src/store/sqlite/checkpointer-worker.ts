/**
 * A {@link WalCheckpointer} thread: its own connection to the store's file, running
 * `PRAGMA wal_checkpoint(PASSIVE)` every few hundred milliseconds while the WAL has frames not
 * yet copied back. Does nothing when imported outside such a thread (the architecture test
 * imports every module).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";
import type { Db } from "./connection.js";

/** What the checkpointer hands its thread. */
export interface CheckpointThreadData {
  amltkCheckpointer: true;
  /** The store's database file. */
  file: string;
  /** How often the thread looks at the WAL. */
  intervalMs: number;
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

function isCheckpointThread(data: unknown): data is CheckpointThreadData {
  return (data as CheckpointThreadData | null)?.amltkCheckpointer === true;
}

/** The file is opened only once it exists: the first trial's write creates it. */
function openWhenThere(file: string): Db | undefined {
  if (!existsSync(file)) return undefined;
  const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
  // The busy timeout bounds how long a RESTART checkpoint waits for a writer to finish.
  const db = new Database(file, { fileMustExist: true, timeout: RESTART_WAIT_MS });
  db.pragma("synchronous = NORMAL");
  return db;
}

type CheckpointRow = { busy: number; log: number; checkpointed: number };

/**
 * A WAL this many frames long gets a RESTART checkpoint after the PASSIVE one. A writer starts
 * the WAL over only if, as its transaction begins, every frame is copied and no other connection
 * is reading; under a sweep's steady commits that seldom happens (measured: once in 20 complete
 * PASSIVE checkpoints), so the WAL grew to the workers' safety net. RESTART takes the write lock
 * for the few frames PASSIVE left and waits for readers (one short wait for the writers, instead
 * of a whole checkpoint inside one of their commits); the next writer then starts the WAL over.
 */
const RESTART_FRAMES = 2_000;
/** The longest a RESTART checkpoint waits for the writers; it gives up (harmlessly) after. */
const RESTART_WAIT_MS = 100;

function checkpoint(db: Db, mode: "PASSIVE" | "RESTART"): CheckpointRow | undefined {
  return (db.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[])[0];
}

function run(port: NonNullable<typeof parentPort>, data: CheckpointThreadData): void {
  let db: Db | undefined;
  let checkpoints = 0;
  let error: string | undefined;
  let lastVersion = -1;
  let complete = true;
  const tick = (): void => {
    try {
      db ??= openWhenThere(data.file);
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

if (!isMainThread && parentPort && isCheckpointThread(workerData)) run(parentPort, workerData);
