/**
 * The outbox of one online writer (one run, one process): numbers operations, keeps them in a
 * bounded memory queue, spills to the disk spool when the bound is hit or the process exits,
 * and delivers them in order through `POST /api/runs/:id/batch` with retries and exponential
 * backoff. Delivery is exactly once because every op carries (writer, seq) and the server
 * skips what it already applied (docs/api.md).
 *
 * Nothing here blocks the caller: `push` only queues; the network runs on unref'd timers, so
 * an unreachable server neither stalls training nor keeps the process alive.
 */
import { type HistoryColumns, type Op, opRows, opWeight } from "../../server/protocol.js";
import type { Spool } from "./spool.js";

type Dist<T> = T extends unknown ? Omit<T, "seq"> : never;
export type NewOp = Dist<Op>;

export interface OutboxOptions {
  baseUrl: string;
  apiKey?: string;
  /** Points held in memory before the queue spills to disk (default 250 000). */
  maxMemoryPoints?: number;
  /** Per-request timeout (default 60 000 ms: a busy server queues requests; a resend is wasted work). */
  requestTimeoutMs?: number;
  /** Longest wait between retries (default 5 000 ms). */
  maxBackoffMs?: number;
}

interface Batch {
  ops: Op[];
  /** Index of the first op not yet acknowledged. */
  done: number;
  /** The spool segment the ops came from; removed once all are acknowledged. */
  segment?: string;
}

/** Rows of history per op: keeps any single op well inside a request. */
const ROWS_PER_OP = 5_000;
/** Per-request caps (below the server's LIMITS). */
const REQ_OPS = 500;
const REQ_ROWS = 20_000;
const REQ_POINTS = 300_000;

const live = new Set<Outbox>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", () => {
    for (const o of live) {
      try {
        o.spillOnExit();
      } catch (e) {
        // One unwritable spool must not keep the others from being written.
        console.error(`amltk: online run ${o.runId}: could not spool: ${(e as Error).message}`);
      }
    }
  });
}

export class Outbox {
  readonly runId: string;
  readonly writer: string;
  #seq = 0;
  #mem: Op[] = [];
  #memPoints = 0;
  #segments: string[];
  #inflight: Batch | null = null;
  #pumping = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #down = false;
  #exiting = false;
  #closed = false;
  #warned = new Set<string>();
  #waiters: (() => void)[] = [];
  /** Ops acknowledged by the server (applied or skipped as duplicates). */
  delivered = 0;

  constructor(
    readonly spool: Spool,
    readonly opts: OutboxOptions,
    /** Delivering a spool left by another process: its segments are the whole queue. */
    private readonly foreign = false,
  ) {
    this.runId = spool.meta.runId;
    this.writer = spool.meta.writer;
    this.#segments = foreign ? spool.segments() : [];
    live.add(this);
    hookExit();
    if (this.#segments.length > 0) this.#kick();
  }

  /**
   * Queues an op (numbered here); never blocks. The op must be in wire form (non-finite
   * numbers tagged, see `tagValue`/`tagNumbers`): the outbox sends and spools it as plain JSON.
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
    const last = this.#mem[this.#mem.length - 1];
    if (op.type === "patch" && last?.type === "patch") {
      // Consecutive patches (heartbeats, summaries) collapse: later fields win, as on the server.
      Object.assign(last.patch, op.patch);
    } else {
      const numbered = { ...op, seq: ++this.#seq } as Op;
      if (numbered.type === "patch") numbered.patch = { ...numbered.patch };
      this.#mem.push(numbered);
      this.#memPoints += opWeight(numbered);
    }
    if (this.#exiting) this.spillOnExit();
    else if (this.#memPoints > (this.opts.maxMemoryPoints ?? 250_000)) this.#spill();
    this.#kick();
  }

  /** True when nothing is queued, in flight or spooled. */
  get idle(): boolean {
    return this.#mem.length === 0 && this.#inflight === null && this.#segments.length === 0;
  }

  /** True after a failed attempt, until the next success. */
  get down(): boolean {
    return this.#down;
  }

  /** Resolves when idle, or (with `untilDown`) as soon as an attempt fails. */
  settle(untilDown: boolean): Promise<void> {
    if (this.idle || (untilDown && this.#down)) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.idle || (untilDown && this.#down)) resolve();
        else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }

  /**
   * Called by the run's `finish` (through the store's close): waits for delivery while the
   * server answers, returns at once when it does not, and leaves the rest on disk so that a
   * process exit loses nothing. The outbox keeps retrying in the background.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.settle(true),
      new Promise<void>((r) => {
        timer = setTimeout(r, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    if (!this.idle) this.#spill();
    else this.#finishIdle();
  }

  /** Writes everything not yet delivered to the spool, synchronously (process exit). */
  spillOnExit(): void {
    this.#exiting = true;
    const f = this.#inflight;
    if (f && f.segment === undefined) {
      this.spool.write(f.ops.slice(f.done));
      this.#inflight = null;
    }
    this.#spill();
  }

  #spill(): void {
    if (this.#mem.length === 0) return;
    const ops = this.#mem;
    this.#mem = [];
    this.#memPoints = 0;
    this.spool.write(ops);
    this.#segments.push(`${String(ops[0].seq).padStart(12, "0")}.json`);
  }

  #kick(): void {
    if (this.#pumping || this.#retryTimer || this.#exiting) return;
    void this.#pump();
  }

  #next(): Batch | null {
    const seg = this.#segments[0];
    if (seg !== undefined) {
      try {
        return { ops: this.spool.read(seg), done: 0, segment: seg };
      } catch (e) {
        this.#warn("spool", `unreadable spool segment ${seg} skipped: ${(e as Error).message}`);
        this.#segments.shift();
        this.spool.remove(seg);
        return this.#next();
      }
    }
    if (this.#mem.length === 0) return null;
    const ops = this.#mem;
    this.#mem = [];
    this.#memPoints = 0;
    return { ops, done: 0 };
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      for (;;) {
        if (this.#exiting) return;
        if (!this.#inflight) this.#inflight = this.#next();
        const b = this.#inflight;
        if (!b) break;
        while (b.done < b.ops.length) {
          const end = chunkEnd(b.ops, b.done);
          const outcome = await this.#post(b.ops.slice(b.done, end));
          if (this.#exiting) return;
          if (outcome === "retry") {
            this.#failures++;
            this.#down = true;
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
            return;
          }
          this.delivered += end - b.done;
          b.done = end;
          this.#failures = 0;
          this.#down = false;
        }
        if (b.segment !== undefined) {
          this.spool.remove(b.segment);
          this.#segments.shift();
        }
        this.#inflight = null;
      }
      this.#finishIdle();
    } finally {
      this.#pumping = false;
    }
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

  async #post(ops: Op[]): Promise<"ok" | "retry" | "dropped"> {
    // A spool delivered late may find its run already re-created by a later process with the
    // same id (resume): its create must then resume rather than fail the whole batch.
    if (this.foreign) ops = ops.map((o) => (o.type === "create" ? { ...o, resume: true } : o));
    const url = `${this.opts.baseUrl}/api/runs/${encodeURIComponent(this.runId)}/batch`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
        },
        body: JSON.stringify({ writer: this.writer, ops }),
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 60_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause ? `: ${cause.code ?? cause.message}` : "";
      this.#warn(
        "net",
        `server ${this.opts.baseUrl} unreachable (${(e as Error).message}${why}); buffering and retrying`,
      );
      return "retry";
    }
    const text = await res.text().catch(() => "");
    if (res.ok) return "ok";
    if (
      res.status === 401 ||
      res.status === 403 ||
      res.status === 408 ||
      res.status === 429 ||
      res.status >= 500
    ) {
      this.#warn(
        String(res.status),
        `server answered ${res.status} ${text.slice(0, 300)}; retrying`,
      );
      return "retry";
    }
    // The server will never take these ops (bad input); keep the queue moving.
    this.#warn("drop", `server refused a batch (${res.status} ${text.slice(0, 300)}); dropped`);
    return "dropped";
  }

  #warn(kind: string, msg: string): void {
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    console.warn(`amltk: online run ${this.runId}: ${msg}`);
  }
}

/** End index of the next request's slice starting at `from`. */
function chunkEnd(ops: readonly Op[], from: number): number {
  let rows = 0;
  let points = 0;
  let i = from;
  while (i < ops.length && i - from < REQ_OPS) {
    const o = ops[i];
    const r = opRows(o);
    const w = opWeight(o);
    if (i > from && (rows + r > REQ_ROWS || points + w > REQ_POINTS)) break;
    rows += r;
    points += w;
    i++;
  }
  return i;
}

/** Resolves when every outbox of this process has delivered everything (tests, `amltk sync`). */
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

/** Rows [from, to) of columnar history, row indices rebased. Column rows ascend. */
export function sliceColumns(c: HistoryColumns, from: number, to: number): HistoryColumns {
  const columns: HistoryColumns["columns"] = {};
  for (const k in c.columns) {
    const col = c.columns[k];
    if (!col.rows) {
      columns[k] = { values: col.values.slice(from, to) };
      continue;
    }
    const lo = lowerBound(col.rows, from);
    const hi = lowerBound(col.rows, to);
    if (hi > lo) {
      columns[k] = {
        rows: col.rows.slice(lo, hi).map((r) => r - from),
        values: col.values.slice(lo, hi),
      };
    }
  }
  return {
    steps: c.steps.slice(from, to),
    runtimes: c.runtimes.slice(from, to),
    timestamps: c.timestamps.slice(from, to),
    columns,
    others: c.others
      .filter((o) => o.row >= from && o.row < to)
      .map((o) => ({ ...o, row: o.row - from })),
  };
}

function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
