/**
 * The outbox of one online writer (one run, one process). It is write-ahead: `push` numbers an
 * op and appends it to the disk spool (synchronously) before anything is sent, so a process that
 * dies at any moment (kill -9 included) leaves every pushed op either acknowledged by the server
 * or in the spool. Ops are delivered in order, segment by segment, through
 * `POST /api/runs/:id/batch` with retries and exponential backoff; a segment file is removed
 * only once the server acknowledged all of it. Delivery is exactly once because every op
 * carries (writer, seq) and the server skips what it already applied (docs/api.md), so resending
 * an acknowledged segment that was not removed yet doubles nothing.
 *
 * Nothing here blocks the caller beyond that append (segment-queue.ts): the network runs on
 * unref'd timers and sockets (post.ts), so an unreachable or hung server neither stalls training
 * nor keeps the process alive; `close` (run.finish) and the exit drain wait a bounded time.
 */
import type { Op } from "../../protocol/batch.js";
import { chunkEnd, type OpCounts, opInfo } from "./op-info.js";
import { type Outcome, sendBatch } from "./post.js";
import { type Segment, SegmentQueue } from "./segment-queue.js";
import { sliceColumns } from "./slice-columns.js";
import type { Spool } from "./spool.js";

type Dist<T> = T extends unknown ? Omit<T, "seq"> : never;
export type NewOp = Dist<Op>;

export interface OutboxOptions {
  baseUrl: string;
  apiKey?: string;
  /** Points held in memory; older waiting segments are dropped from memory (kept on disk). Default 250 000. */
  maxMemoryPoints?: number;
  /** Per-request timeout (default 60 000 ms: a busy server queues requests; a resend is wasted work). */
  requestTimeoutMs?: number;
  /** Longest wait between retries (default 5 000 ms). */
  maxBackoffMs?: number;
  /**
   * True while some spool still holds an unacknowledged `create` of `runId`: a 404 "unknown
   * run" then means "not created yet" and is retried instead of stopping delivery.
   */
  createPending?: (runId: string) => boolean;
  /** Called after every acknowledged request (sync's progress and idle timeout). */
  onProgress?: () => void;
  /**
   * The longest `close` (so `run.finish()`, and the drain when a script ends without it) waits
   * for the server to acknowledge what is left (default {@link DEFAULT_FINISH_TIMEOUT_MS}, 5 s).
   * It returns sooner when everything is delivered, or at once when the server is down or
   * refuses the data. Whatever is not acknowledged by then is already in the spool
   * (`<dir>/spool/`): the next online `init` with the same dir and server, or `amltk sync`,
   * delivers it, exactly once.
   */
  finishTimeoutMs?: number;
  /**
   * The shortest time between the starts of two requests while the ops wait in the segment
   * being filled (default {@link DEFAULT_SEND_INTERVAL_MS}). A backlog (sealed segments waiting)
   * and `close` send at once. Ops are spooled when pushed either way: this only decides how many
   * of them share a request, so a server takes a few larger requests instead of one per flush.
   */
  sendIntervalMs?: number;
}

/** Rows of history per op: keeps any single op well inside a request. */
const ROWS_PER_OP = 5_000;
const live = new Set<Outbox>();
let drainHooked = false;

/**
 * When a script ends without `finish()` the event loop empties (requests do not hold it, see
 * post.ts): each outbox still open then gets the same bounded wait as `finish`, and what is
 * not delivered by then stays spooled. `beforeExit` comes only from an emptied loop, never from
 * `process.exit()` or a signal.
 */
function hookDrain(): void {
  if (drainHooked) return;
  drainHooked = true;
  process.on("beforeExit", () => {
    for (const o of live)
      if (!o.closed) void o.close(o.opts.finishTimeoutMs ?? DEFAULT_FINISH_TIMEOUT_MS);
  });
}

/** How long an online `finish()` waits at most for a server that does not answer. */
export const DEFAULT_FINISH_TIMEOUT_MS = 5_000;

/**
 * Default {@link OutboxOptions.sendIntervalMs}. The tracker flushes every ~100 ms; sending each
 * flush as its own request made the server's per-request work (HTTP, the transaction, joining
 * each key's last chunk) most of its ingest CPU, taken from the reads it serves beside it
 * (`bench/reads-under-load.ts`). Half a second keeps a live chart live.
 */
export const DEFAULT_SEND_INTERVAL_MS = 500;

export class Outbox {
  readonly runId: string;
  readonly writer: string;
  #seq = 0;
  readonly #segments: SegmentQueue;
  #inflight: { seg: Segment; done: number } | null = null;
  #pumping = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Immediate | undefined;
  /** The next request waits for the send interval (see `sendIntervalMs`). */
  #later: NodeJS.Timeout | undefined;
  /** When the last request started (performance.now()). */
  #lastSendAt = Number.NEGATIVE_INFINITY;
  #abort = new AbortController();
  #failures = 0;
  #down = false;
  #closed = false;
  #stopped = false;
  #blocked: string | undefined;
  #lastError: string | undefined;
  #warned = new Set<string>();
  #waiters: (() => void)[] = [];
  /** Ops and points acknowledged by the server (applied or skipped as duplicates). */
  readonly delivered: OpCounts = { ops: 0, points: 0 };

  constructor(
    readonly spool: Spool,
    readonly opts: OutboxOptions,
    /** Delivering a spool left by another process: its segments are the whole queue. */
    foreign = false,
  ) {
    this.runId = spool.meta.runId;
    this.writer = spool.meta.writer;
    const warn = (kind: string, msg: string) => this.#warn(kind, msg);
    this.#segments = new SegmentQueue(spool, opts.maxMemoryPoints ?? 250_000, foreign, warn);
    live.add(this);
    hookDrain();
    if (!this.#segments.empty) this.#kick();
  }

  /**
   * Numbers an op, appends it to the spool (sync, before any send) and queues it for delivery.
   * Never waits on the network. The op must be in wire form (non-finite numbers tagged, see
   * `tagValue`/`tagNumbers`): it is spooled and sent as plain JSON.
   */
  push(op: NewOp): void {
    if (op.type === "history" && op.rows.length > ROWS_PER_OP) {
      for (let i = 0; i < op.rows.length; i += ROWS_PER_OP) {
        this.push({ type: "history", rows: op.rows.slice(i, i + ROWS_PER_OP) });
      }
      return;
    }
    if (op.type === "history_cols" && op.cols.steps.length > ROWS_PER_OP) {
      for (let i = 0; i < op.cols.steps.length; i += ROWS_PER_OP) {
        this.push({ type: "history_cols", cols: sliceColumns(op.cols, i, i + ROWS_PER_OP) });
      }
      return;
    }
    const numbered = { ...op, seq: ++this.#seq } as Op;
    this.#segments.append(`${JSON.stringify(numbered)}\n`, numbered.seq, opInfo(numbered));
    this.#kick();
  }

  /** True when nothing is waiting, in flight or being filled. */
  get idle(): boolean {
    return this.#inflight === null && this.#segments.empty;
  }

  /** True once `close` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True after a failed attempt, until the next success. */
  get down(): boolean {
    return this.#down;
  }

  /** Why delivery stopped for good in this process (the server refuses the data), if it did. */
  get blocked(): string | undefined {
    return this.#blocked;
  }

  /** The last failure since the last success (for reports). */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Resolves when idle, blocked or stopped, or (with `untilDown`) as soon as an attempt fails. */
  settle(untilDown: boolean): Promise<void> {
    const ready = () =>
      this.idle || this.#blocked !== undefined || this.#stopped || (untilDown && this.#down);
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (ready()) resolve();
        else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }

  /**
   * Called by the run's `finish` (through the store's close): waits up to `timeoutMs` for
   * delivery while the server answers, returns at once when it is down or refuses, and then
   * stops. Everything not acknowledged is already in the spool, for `amltk sync` or the next
   * online `init` (in this process or another).
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    this.#segments.seal();
    // One attempt now rather than at the end of a backoff that may outlast the wait; "down"
    // then describes that attempt, not an earlier one.
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#down = false;
    }
    // What waits for the send interval goes now.
    clearTimeout(this.#later);
    this.#later = undefined;
    this.#kick();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.settle(true),
      new Promise<void>((r) => {
        // ref'd: the wait itself keeps the process alive (requests do not, see post.ts)
        timer = setTimeout(r, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (this.idle) this.#finishIdle();
    else this.stop();
  }

  /** Stops delivery now: aborts the request in flight; what is not acknowledged stays spooled. */
  stop(): void {
    this.#stopped = true;
    this.#segments.seal();
    this.#abort.abort();
    clearImmediate(this.#soon);
    this.#soon = undefined;
    clearTimeout(this.#later);
    this.#later = undefined;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    live.delete(this);
    this.#notify();
  }

  /** Ops and points not acknowledged yet (reads waiting segments from disk to count them). */
  left(): OpCounts & { unreadable: number } {
    return this.#segments.left(this.#inflight?.seg ?? null, this.#inflight?.done ?? 0);
  }

  /** Ops lost to a torn last line in a spool segment (a write cut by a power loss or full disk). */
  get tornOps(): number {
    return this.#segments.tornOps;
  }

  #kick(): void {
    if (this.#pumping || this.#retryTimer || this.#stopped || this.#blocked || this.#soon) return;
    if (this.#later) return;
    // Started on the next turn, not now: the ops one flush pushes (history, then the summary
    // patch) go out as one request and one segment file instead of two.
    this.#soon = setImmediate(() => {
      this.#soon = undefined;
      if (this.#pumping || this.#retryTimer || this.#stopped || this.#blocked) return;
      void this.#pump();
    });
    this.#soon.unref();
  }

  /** The next segment to send; null when none, or when an unreadable one blocks delivery. */
  #takeNext(): { seg: Segment; done: number } | null {
    try {
      const seg = this.#segments.take();
      return seg ? { seg, done: 0 } : null;
    } catch (e) {
      // Kept on disk for a person to look at; later segments wait (delivery is in order).
      this.#block((e as Error).message);
      return null;
    }
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      for (;;) {
        if (this.#stopped || this.#blocked) return;
        if (!this.#inflight && this.#waitForInterval()) return;
        if (!this.#inflight) this.#inflight = this.#takeNext();
        const f = this.#inflight;
        if (!f) break;
        const lines = f.seg.lines!;
        const info = f.seg.info!;
        while (f.done < lines.length) {
          const end = chunkEnd(info, f.done);
          const outcome = await this.#post(lines.slice(f.done, end));
          if (this.#stopped) return;
          if (outcome.kind === "retry") {
            this.#retryLater(outcome.why);
            return;
          }
          if (outcome.kind === "blocked") {
            this.#block(outcome.why);
            return;
          }
          for (let i = f.done; i < end; i++) this.delivered.points += info[i].points;
          this.delivered.ops += end - f.done;
          f.done = end;
          this.#failures = 0;
          this.#down = false;
          this.#lastError = undefined;
          this.opts.onProgress?.();
        }
        this.#segments.acknowledged(f.seg);
        this.#inflight = null;
      }
      this.#finishIdle();
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * True when the next request must wait for the send interval: only ops of the segment being
   * filled wait (none sealed, not closing); a timer then starts the pump when it has passed.
   */
  #waitForInterval(): boolean {
    if (this.#closed || this.#segments.sealedWaiting) return false;
    const wait =
      this.#lastSendAt + (this.opts.sendIntervalMs ?? DEFAULT_SEND_INTERVAL_MS) - performance.now();
    if (wait <= 0 || this.#segments.empty) return false;
    this.#later = setTimeout(() => {
      this.#later = undefined;
      this.#kick();
    }, wait);
    this.#later.unref();
    return true;
  }

  #retryLater(why: string): void {
    this.#failures++;
    this.#down = true;
    this.#lastError = why;
    this.#notify();
    const base = Math.min(this.opts.maxBackoffMs ?? 5_000, 100 * 2 ** (this.#failures - 1));
    this.#retryTimer = setTimeout(
      () => {
        this.#retryTimer = undefined;
        this.#kick();
      },
      base * (0.5 + Math.random() / 2),
    );
    this.#retryTimer.unref();
  }

  #block(why: string): void {
    this.#blocked = why;
    this.#warn(
      "blocked",
      `${why}; delivery stopped, everything not delivered stays spooled in ${this.spool.path}`,
    );
    this.#notify();
  }

  #finishIdle(): void {
    if (this.idle && this.#closed) {
      this.spool.cleanup();
      live.delete(this);
    }
    this.#notify();
  }

  #notify(): void {
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) w();
  }

  async #post(lines: string[]): Promise<Outcome> {
    this.#lastSendAt = performance.now();
    const timeout = AbortSignal.timeout(this.opts.requestTimeoutMs ?? 60_000);
    const out = await sendBatch(
      { ...this.opts, runId: this.runId, writer: this.writer },
      lines,
      AbortSignal.any([this.#abort.signal, timeout]),
    );
    if (out.kind === "retry" && !this.#stopped)
      this.#warn(out.warn, `${out.why}; spooled, retrying`);
    return out;
  }

  #warn(kind: string, msg: string): void {
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    console.warn(`amltk: online run ${this.runId}: ${msg}`);
  }
}

/** Resolves when every outbox of this process has delivered, stopped or been refused (tests, benches). */
export function allDelivered(): Promise<void> {
  // Retry timers are unref'd so that a dead server never holds a process open; whoever waits
  // here explicitly wants the process kept alive until delivery.
  const keepAlive = setInterval(() => {}, 1_000);
  return Promise.all([...live].map((o) => o.settle(false))).then(
    () => clearInterval(keepAlive),
    (e) => {
      clearInterval(keepAlive);
      throw e;
    },
  );
}

/** The outboxes alive in this process. */
export function liveOutboxes(): ReadonlySet<Outbox> {
  return live;
}

export { type OpCounts, opPoints } from "./op-info.js";
export { sliceColumns };
