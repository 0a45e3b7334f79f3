/**
 * A host's WAL checkpointer that starts its thread only once the WAL has grown: a short sweep
 * never needs one, and a thread costs ~55-80 ms of CPU to start, which a pool pays while its
 * workers are starting on the same cores (measured on a 200-trial seed sweep: 35-50 ms later to
 * the first reports, ~0.4 ms a trial). Until then the WAL is left to grow as far as SQLite's own
 * default checkpoint size ({@link LAZY_CHECKPOINT_START_BYTES}); the workers' connections keep
 * their safety net (`HOST_CHECKPOINTED_WAL_PAGES`) whether or not the thread has started.
 */
import { statSync } from "node:fs";
import { CHECKPOINT_INTERVAL_MS, WalCheckpointer } from "./checkpointer.js";
import type { CheckpointThreadBye } from "./checkpointer-thread.js";

/**
 * The WAL size at which the thread starts: SQLite's default `wal_autocheckpoint` (1,000 pages)
 * at the store's 4 KiB pages, where a writer with no host checkpointer would checkpoint itself.
 */
export const LAZY_CHECKPOINT_START_BYTES = 1_000 * 4096;

/** The WAL's size in bytes; 0 when there is none yet (no write, or a closed store). */
function walBytes(file: string): number {
  return statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
}

/**
 * Looks at `<file>-wal`'s size every `intervalMs` (one `stat`) and starts a
 * {@link WalCheckpointer} the first time it reaches `startBytes`.
 *
 * @example
 * ```ts
 * const checkpointer = new LazyWalCheckpointer(join(dir, "amltk.db"));
 * // ... a pool's workers commit; past 4 MiB of WAL a checkpoint thread takes over ...
 * await checkpointer.stop();
 * ```
 */
export class LazyWalCheckpointer {
  #thread: WalCheckpointer | null = null;
  #stopped = false;
  readonly #watch: NodeJS.Timeout;

  constructor(
    readonly file: string,
    readonly startBytes = LAZY_CHECKPOINT_START_BYTES,
    readonly intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {
    this.#watch = setInterval(() => this.lookNow(), intervalMs);
    // Like the thread, the watch does not keep the process alive.
    this.#watch.unref();
  }

  /** The thread, once the WAL has grown enough to start it. */
  get thread(): WalCheckpointer | null {
    return this.#thread;
  }

  /**
   * Looks at the WAL now (what the timer does every `intervalMs`) and starts the thread if the
   * WAL has reached `startBytes`; returns whether the thread runs.
   */
  lookNow(): boolean {
    if (this.#thread !== null) return true;
    if (this.#stopped || walBytes(this.file) < this.startBytes) return false;
    clearInterval(this.#watch);
    this.#thread = new WalCheckpointer(this.file, this.intervalMs);
    return true;
  }

  /** Stops watching, and the thread if it started; resolves once it has exited. */
  async stop(): Promise<CheckpointThreadBye> {
    this.#stopped = true;
    clearInterval(this.#watch);
    return (await this.#thread?.stop()) ?? { checkpoints: 0 };
  }
}
