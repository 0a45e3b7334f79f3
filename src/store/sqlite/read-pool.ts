/**
 * `SqliteReadPool`: reads of one SQLite store served by worker threads, each with its own
 * read-only connection, so a server's event loop stays free for requests and ingest while a
 * runs query or a 100-run chart is computed. WAL lets readers run beside the writer; every read
 * starts a fresh read transaction, so it sees every commit made before it was asked
 * (read-your-writes).
 *
 * Threads start on demand: the first read starts one, and another starts while every ready
 * thread is busy, up to the pool's size. Until a thread is ready, and after threads keep failing
 * to start, `read` returns undefined and the caller reads on its own connection.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { StoreError } from "../types.js";
import type { PoolAnswer, PoolArgs, PoolRead, PoolValue } from "./read-pool-queries.js";
import {
  fromWireError,
  type ReadReply,
  type ReadRequest,
  type ThreadHello,
  unpackAnswer,
} from "./read-pool-wire.js";
import type { ReadThreadData } from "./read-pool-worker.js";

/** A pending read: how to settle its promise. */
interface Pending {
  resolve(answer: unknown): void;
  reject(err: unknown): void;
}

interface Thread {
  worker: Worker;
  ready: boolean;
  pending: Map<number, Pending>;
  /** Reads this thread answered (for tests and benches). */
  served: number;
}

/**
 * A read whose thread ended before answering (it crashed or the pool closed); the caller may
 * read again elsewhere.
 */
export class ReadThreadGoneError extends StoreError {
  override name = "ReadThreadGoneError";
  constructor(message: string) {
    super(message, "busy");
  }
}

/** Threads that fail to start before the pool gives up and leaves reads to the caller. */
const MAX_START_FAILURES = 3;

/** Starts a pool thread: the built worker, or the TypeScript source through tsx (tests, benches). */
function spawnThread(data: ReadThreadData): Worker {
  const js = new URL("./read-pool-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: data });
  // Worker threads ignore `--import`, so tsx is registered in the thread before the source loads.
  const api = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const entry = JSON.stringify(new URL("./read-pool-worker.ts", import.meta.url).href);
  const code = `import(${api}).then((m) => { m.register(); return import(${entry}); });`;
  return new Worker(code, { eval: true, workerData: data });
}

/**
 * Worker threads that read one SQLite file (see the module comment).
 *
 * @example
 * ```ts
 * const pool = new SqliteReadPool(join(dir, "amltk.db"), 2);
 * await pool.start(); // optional: threads otherwise start at the first reads
 * const answer = await pool.read("listRuns", [{ project: "demo" }]);
 * if (answer && "value" in answer) console.log(answer.value.total);
 * await pool.close();
 * ```
 */
export class SqliteReadPool {
  readonly #threads: Thread[] = [];
  #nextId = 1;
  #startFailures = 0;
  #closed = false;

  /**
   * @param file - the store's database file (`<dir>/amltk.db`), open in WAL mode elsewhere
   * @param size - the most threads the pool starts
   */
  constructor(
    readonly file: string,
    readonly size: number,
  ) {}

  /** Reads answered per thread, in start order. */
  get served(): number[] {
    return this.#threads.map((t) => t.served);
  }

  /** Starts every thread and resolves once they are ready (or rejects if one fails to start). */
  async start(): Promise<void> {
    while (this.#threads.length < this.size) this.#spawn();
    await Promise.all(this.#threads.map((t) => this.#whenReady(t)));
  }

  /**
   * Asks a ready thread (the least busy) for a read, starting another thread when all are
   * busy. Undefined when no thread is ready: the caller reads on its own connection.
   */
  read<M extends PoolRead>(
    method: M,
    args: PoolArgs<M>,
  ): Promise<PoolAnswer<PoolValue<M>>> | undefined {
    if (this.#closed) throw new StoreError(`read pool of ${this.file} is closed`, "closed");
    let best: Thread | undefined;
    for (const t of this.#threads) {
      if (t.ready && (!best || t.pending.size < best.pending.size)) best = t;
    }
    const canGrow =
      this.#threads.length < this.size &&
      this.#startFailures < MAX_START_FAILURES &&
      this.#threads.every((t) => t.ready);
    if (canGrow && (!best || best.pending.size > 0)) this.#spawn();
    return best ? this.#ask(best, method, args) : undefined;
  }

  /** Ends every thread; reads still pending reject with {@link ReadThreadGoneError}. */
  async close(): Promise<void> {
    this.#closed = true;
    const threads = this.#threads.splice(0);
    await Promise.all(threads.map((t) => this.#end(t, "the read pool closed")));
  }

  #ask<M extends PoolRead>(
    t: Thread,
    method: M,
    args: PoolArgs<M>,
  ): Promise<PoolAnswer<PoolValue<M>>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      t.pending.set(id, { resolve: resolve as (a: unknown) => void, reject });
      if (t.pending.size === 1) t.worker.ref();
      t.worker.postMessage({ id, method, args } satisfies ReadRequest);
    });
  }

  #spawn(): void {
    const worker = spawnThread({ amltkReadPool: true, file: this.file });
    const t: Thread = { worker, ready: false, pending: new Map(), served: 0 };
    this.#threads.push(t);
    worker.unref();
    worker.on("message", (m: ReadReply | ThreadHello) => this.#onMessage(t, m));
    worker.on("error", (err) => void this.#drop(t, `read thread failed: ${err.message}`));
    worker.on("exit", (code) => void this.#drop(t, `read thread exited (${code})`));
  }

  #onMessage(t: Thread, m: ReadReply | ThreadHello): void {
    if ("ready" in m) {
      t.ready = true;
      t.worker.emit("amltk:ready");
      return;
    }
    if ("failed" in m) {
      this.#startFailures++;
      void this.#drop(t, `read thread could not open ${this.file}: ${m.failed}`);
      return;
    }
    const p = t.pending.get(m.id);
    if (!p) return;
    t.pending.delete(m.id);
    if (t.pending.size === 0) t.worker.unref();
    t.served++;
    if ("error" in m) p.reject(fromWireError(m.error));
    else p.resolve(unpackAnswer(m));
  }

  #whenReady(t: Thread): Promise<void> {
    if (t.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      t.worker.once("amltk:ready", () => resolve());
      t.worker.once("exit", () =>
        reject(new StoreError(`read thread of ${this.file} did not start`, "busy")),
      );
    });
  }

  /** Removes a thread that failed or exited; its pending reads reject so they can be retried. */
  async #drop(t: Thread, why: string): Promise<void> {
    const i = this.#threads.indexOf(t);
    if (i >= 0) this.#threads.splice(i, 1);
    await this.#end(t, why);
  }

  async #end(t: Thread, why: string): Promise<void> {
    const pending = [...t.pending.values()];
    t.pending.clear();
    for (const p of pending) p.reject(new ReadThreadGoneError(why));
    await t.worker.terminate();
  }
}
