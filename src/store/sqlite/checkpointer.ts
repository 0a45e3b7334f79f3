/**
 * WAL checkpoints off the writers' commit path. In WAL mode the commit that pushes the WAL past
 * `wal_autocheckpoint` pages runs the checkpoint itself (copying every frame back and syncing
 * the database file) before it returns, so now and then a short tracked trial pays for a
 * checkpoint of everyone's writes. The host of a local worker pool starts a
 * {@link WalCheckpointer} for the pool's store once its WAL has grown (`lazy-checkpointer.ts`),
 * and the workers' connections to that file wait for a much larger WAL before they checkpoint
 * themselves ({@link HOST_CHECKPOINTED_WAL_PAGES}).
 * Durability is unchanged: a committed WAL frame survives process death whether or not it has
 * been checkpointed; checkpoints only move it into the database file.
 */
import { createRequire } from "node:module";
import { isAbsolute, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import {
  type CheckpointThreadBye,
  type CheckpointThreadData,
  checkpointThreadSource,
} from "./checkpointer-thread.js";

/** How often the host's thread checkpoints: short enough to keep the WAL a few MB at most. */
export const CHECKPOINT_INTERVAL_MS = 150;

/**
 * The `wal_autocheckpoint` of a connection whose WAL a host checkpoints. A safety net, not
 * off: if the host's checkpointer is gone (the host died, a worker outlived it), the writers
 * still checkpoint once the WAL reaches this many pages (~40 MB at 4 KiB pages), so the WAL
 * can never grow without bound. SQLite's default is 1,000.
 */
export const HOST_CHECKPOINTED_WAL_PAGES = 10_000;

/** Database files whose WAL a host's checkpointer looks after, as absolute paths. */
const hostCheckpointed = new Set<string>();

/**
 * Says that a host checkpoints `file` (a worker of a local pool calls it before it opens the
 * store): connections opened to it from now on in this process use
 * {@link HOST_CHECKPOINTED_WAL_PAGES} as their `wal_autocheckpoint`.
 *
 * @example
 * ```ts
 * markHostCheckpointed(join(dir, "amltk.db"));
 * walAutocheckpointOf(join(dir, "amltk.db")); // 10_000
 * ```
 */
export function markHostCheckpointed(file: string): void {
  // A worker marks the same (absolute) file before every trial: resolved once per process.
  if (file === lastMarked) return;
  hostCheckpointed.add(resolve(file));
  // A relative path depends on the working directory, which may change: resolved every time.
  if (isAbsolute(file)) lastMarked = file;
}

/** The absolute file the last call marked. */
let lastMarked: string | undefined;

/** The `wal_autocheckpoint` a new connection to `file` should use; undefined: SQLite's default. */
export function walAutocheckpointOf(file: string): number | undefined {
  return hostCheckpointed.has(resolve(file)) ? HOST_CHECKPOINTED_WAL_PAGES : undefined;
}

/** Threads started and not yet exited, for the tests that check none is left behind. */
let liveThreads = 0;

/** How many checkpointer threads are running in this process. */
export function runningCheckpointers(): number {
  return liveThreads;
}

/** better-sqlite3's entry file as this module resolves it, for the thread to require. */
let driver: string | undefined;

/**
 * Starts the thread from its function's source (checkpointer-thread.ts says why not from a
 * module file): the same code from the built package and from TypeScript sources.
 */
function spawnThread(file: string, intervalMs: number): Worker {
  driver ??= createRequire(import.meta.url).resolve("better-sqlite3");
  const data: CheckpointThreadData = { file, intervalMs, driver };
  return new Worker(checkpointThreadSource(), { eval: true, workerData: data });
}

/**
 * A worker thread with its own connection to one SQLite file that checkpoints its WAL
 * (`PRAGMA wal_checkpoint(PASSIVE)`) every `intervalMs`, so the writers' commits do not. The
 * file need not exist yet: the thread opens it once it does. The thread does not keep the
 * process alive.
 *
 * @example
 * ```ts
 * const checkpointer = new WalCheckpointer(join(dir, "amltk.db"));
 * // ... writers in other threads or processes commit to the file ...
 * const { checkpoints } = await checkpointer.stop();
 * ```
 */
export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #bye: Promise<CheckpointThreadBye> | undefined;
  #checkpoints = 0;
  #waiters: ((complete: boolean) => void)[] = [];

  /** Checkpoints that copied frames so far (as last reported by the thread). */
  get checkpoints(): number {
    return this.#checkpoints;
  }

  /**
   * Resolves at the thread's next checkpoint that copies frames (or once it has stopped), with
   * whether it copied every frame of the WAL.
   */
  nextCheckpoint(): Promise<boolean> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  constructor(
    readonly file: string,
    readonly intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {
    this.#worker = spawnThread(file, intervalMs);
    this.#worker.unref();
    liveThreads++;
    this.#exited = new Promise((resolve) => {
      this.#worker.once("exit", () => {
        liveThreads--;
        for (const wake of this.#waiters.splice(0)) wake(true);
        resolve();
      });
    });
    // A thread that fails (say, better-sqlite3 will not load) must not crash the host: its
    // writers checkpoint themselves at the safety net's size.
    this.#worker.on("error", () => {});
    this.#worker.on("message", (m: CheckpointThreadBye) => {
      this.#checkpoints = m.checkpoints;
      for (const wake of this.#waiters.splice(0)) wake(m.complete ?? true);
    });
  }

  /** Stops the thread (closing its connection) and resolves once it has exited. */
  stop(): Promise<CheckpointThreadBye> {
    this.#bye ??= this.#stop();
    return this.#bye;
  }

  async #stop(): Promise<CheckpointThreadBye> {
    const bye = new Promise<CheckpointThreadBye>((resolve) => {
      this.#worker.on("message", (m: CheckpointThreadBye) => {
        if (m.done) resolve(m);
      });
      this.#exited.then(() => resolve({ checkpoints: 0, error: "the thread had exited" }));
    });
    this.#worker.postMessage({ stop: true });
    const answer = await bye;
    await this.#exited;
    return answer;
  }
}
