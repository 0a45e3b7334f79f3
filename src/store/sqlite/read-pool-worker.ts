/**
 * A {@link SqliteReadPool} thread: one read-only connection to the store's file, answering
 * reads (`read-pool-queries.ts`) one at a time. Does nothing when imported outside such a
 * thread (the architecture test imports every module).
 */
import { createRequire } from "node:module";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";
import type { Db } from "./connection.js";
import { POOL_READS } from "./read-pool-queries.js";
import {
  packAnswer,
  type ReadReply,
  type ReadRequest,
  type ThreadHello,
  toWireError,
} from "./read-pool-wire.js";

/** What the pool hands its threads. */
export interface ReadThreadData {
  amltkReadPool: true;
  /** The store's database file. */
  file: string;
}

function isReadThread(data: unknown): data is ReadThreadData {
  return (data as ReadThreadData | null)?.amltkReadPool === true;
}

/** Opens the file read-only: the thread never writes, and cannot by mistake. */
function openReadOnly(file: string): Db {
  const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 10_000 });
  db.pragma("user_version", { simple: true }); // fails here, not at the first read, if unreadable
  return db;
}

function serve(port: NonNullable<typeof parentPort>, db: Db): void {
  port.on("message", (req: ReadRequest) => {
    let reply: ReadReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const read = POOL_READS[req.method] as (db: Db, ...args: unknown[]) => never;
      const packed = packAnswer(req.method, read(db, ...req.args));
      transfer = packed.transfer;
      reply = { id: req.id, answer: packed.answer, packed: packed.packed };
    } catch (err) {
      reply = { id: req.id, error: toWireError(err) };
    }
    port.postMessage(reply, transfer);
  });
}

if (!isMainThread && parentPort && isReadThread(workerData)) {
  const port = parentPort;
  try {
    const db = openReadOnly(workerData.file);
    serve(port, db);
    port.postMessage({ ready: true } satisfies ThreadHello);
  } catch (err) {
    port.postMessage({ failed: (err as Error).message } satisfies ThreadHello);
  }
}
