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
 * Nothing here blocks the caller beyond that append: the network runs on unref'd timers, so an
 * unreachable server neither stalls training nor keeps the process alive. Memory holds the
 * segment being filled, the one in flight and, up to `maxMemoryPoints`, the ones waiting; the
 * rest are read back from disk when their turn comes.
 */
import { type Op, opRows, opWeight } from "../../server/protocol.js";
import { type PostAnswer, postJson } from "./post.js";
import { sliceColumns } from "./slice-columns.js";
import { type SegmentFile, type Spool, segmentName } from "./spool.js";

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
}

/** Counts of ops and of history points (one per logged value). */
export interface OpCounts {
  ops: number;
  points: number;
}

interface OpInfo {
  rows: number;
  weight: number;
  points: number;
}

interface Segment {
  name: string;
  /**
   * The ops' JSON lines, each ending in "\n" (JSON whitespace, so they go into a request as they
   * are: serialized once for the disk and the wire). Null while only on disk.
   */
  lines: string[] | null;
  info: OpInfo[] | null;
  /** Sum of op weights (memory accounting; 0 while not loaded). */
  weight: number;
  bytes: number;
  /** Every line is on disk (false after a failed append: then memory is the only copy). */
  durable: boolean;
  file?: SegmentFile;
}

type Outcome = { kind: "ok" } | { kind: "retry"; why: string } | { kind: "blocked"; why: string };

/** Rows of history per op: keeps any single op well inside a request. */
const ROWS_PER_OP = 5_000;
/** Per-request caps (below the server's LIMITS). */
const REQ_OPS = 500;
const REQ_ROWS = 20_000;
const REQ_POINTS = 300_000;
/** A segment being filled is sealed past this many bytes (console lines weigh little but can be long). */
const SEGMENT_BYTES = 8 * 1024 * 1024;

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

export class Outbox {
  readonly runId: string;
  readonly writer: string;
  #seq = 0;
  #open: Segment | null = null;
  #queue: Segment[] = [];
  #inflight: { seg: Segment; done: number } | null = null;
  #memWeight = 0;
  #pumping = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Immediate | undefined;
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
  /** Ops lost to a torn last line in a segment (a write cut by a power loss or a full disk). */
  tornOps = 0;

  constructor(
    readonly spool: Spool,
    readonly opts: OutboxOptions,
    /** Delivering a spool left by another process: its segments are the whole queue. */
    private readonly foreign = false,
  ) {
    this.runId = spool.meta.runId;
    this.writer = spool.meta.writer;
    if (foreign) this.#queue = spool.segments().map((name) => diskSegment(name));
    live.add(this);
    hookDrain();
    if (this.#queue.length > 0) this.#kick();
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
    this.#append(`${JSON.stringify(numbered)}\n`, numbered.seq, opInfo(numbered));
    this.#kick();
  }

  /** True when nothing is waiting, in flight or being filled. */
  get idle(): boolean {
    return (
      this.#inflight === null &&
      this.#queue.length === 0 &&
      (this.#open === null || this.#open.lines!.length === 0)
    );
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
    this.#seal();
    // One attempt now rather than at the end of a backoff that may outlast the wait; "down"
    // then describes that attempt, not an earlier one.
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#down = false;
    }
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
    this.#seal();
    this.#abort.abort();
    clearImmediate(this.#soon);
    this.#soon = undefined;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    live.delete(this);
    this.#notify();
  }

  /** Ops and points not acknowledged yet (reads waiting segments from disk to count them). */
  left(): OpCounts & { unreadable: number } {
    const out = { ops: 0, points: 0, unreadable: 0 };
    const add = (seg: Segment, from: number) => {
      let info = seg.info;
      if (!info) {
        try {
          info = this.spool.read(seg.name).ops.map(opInfo);
        } catch {
          out.unreadable++;
          return;
        }
      }
      for (let i = from; i < info.length; i++) {
        out.ops++;
        out.points += info[i].points;
      }
    };
    if (this.#inflight) add(this.#inflight.seg, this.#inflight.done);
    for (const s of this.#queue) add(s, 0);
    if (this.#open) add(this.#open, 0);
    return out;
  }

  #append(line: string, seq: number, info: OpInfo): void {
    let seg = this.#open;
    if (!seg) {
      seg = { name: segmentName(seq), lines: [], info: [], weight: 0, bytes: 0, durable: true };
      this.#open = seg;
    }
    if (seg.durable) {
      try {
        seg.file ??= this.spool.openSegment(seg.name);
        seg.file.append(line);
      } catch (e) {
        // Memory is now the only copy of this op: it is still sent, but a death loses it.
        seg.durable = false;
        this.#warn(
          "disk",
          `cannot write the spool ${this.spool.path} (${(e as Error).message}); ops are kept in memory until the server takes them`,
        );
      }
    }
    seg.lines!.push(line);
    seg.info!.push(info);
    seg.weight += info.weight;
    seg.bytes += line.length;
    this.#memWeight += info.weight;
    if (!seg.durable || seg.weight >= this.#segmentWeight() || seg.bytes >= SEGMENT_BYTES) {
      this.#seal();
    }
  }

  #segmentWeight(): number {
    return Math.max(1, Math.min(50_000, Math.floor((this.opts.maxMemoryPoints ?? 250_000) / 2)));
  }

  /** Closes the segment being filled and queues it. */
  #seal(): void {
    const seg = this.#open;
    if (!seg) return;
    this.#open = null;
    seg.file?.close();
    if (seg.lines!.length === 0) return;
    this.#queue.push(seg);
    // Past the memory bound, the newest waiting segments live on disk only (sent last anyway).
    const max = this.opts.maxMemoryPoints ?? 250_000;
    for (let i = this.#queue.length - 1; i >= 0 && this.#memWeight > max; i--) {
      const s = this.#queue[i];
      if (s.lines && s.durable) {
        this.#memWeight -= s.weight;
        s.lines = null;
        s.info = null;
        s.weight = 0;
      }
    }
  }

  #kick(): void {
    if (this.#pumping || this.#retryTimer || this.#stopped || this.#blocked || this.#soon) return;
    // Started on the next turn, not now: the ops one flush pushes (history, then the summary
    // patch) go out as one request and one segment file instead of two.
    this.#soon = setImmediate(() => {
      this.#soon = undefined;
      if (this.#pumping || this.#retryTimer || this.#stopped || this.#blocked) return;
      void this.#pump();
    });
    this.#soon.unref();
  }

  /** The next segment to send, loaded; null when none. Sets `#blocked` on an unreadable one. */
  #takeNext(): { seg: Segment; done: number } | null {
    if (this.#queue.length === 0) this.#seal();
    const seg = this.#queue[0];
    if (!seg) return null;
    if (!seg.lines) {
      try {
        this.#load(seg);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") {
          // Removed by an earlier deliverer after the server acknowledged it.
          this.#queue.shift();
          return this.#takeNext();
        }
        // Kept on disk for a person to look at; later segments wait (delivery is in order).
        this.#block((e as Error).message);
        return null;
      }
    }
    this.#queue.shift();
    return { seg, done: 0 };
  }

  #load(seg: Segment): void {
    const c = this.spool.read(seg.name);
    if (c.tornTail) {
      this.tornOps++;
      this.#warn("torn", `spool segment ${seg.name}: last op cut short (not delivered)`);
    }
    // A spool delivered late may find its run already re-created by a later process with the
    // same id (resume): its create must then resume rather than fail the whole batch.
    seg.lines = c.ops.map(
      (o, i) =>
        `${this.foreign && o.type === "create" && !o.resume ? JSON.stringify({ ...o, resume: true }) : c.lines[i]}\n`,
    );
    seg.info = c.ops.map(opInfo);
    seg.weight = seg.info.reduce((n, i) => n + i.weight, 0);
    this.#memWeight += seg.weight;
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      for (;;) {
        if (this.#stopped || this.#blocked) return;
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
        this.spool.remove(f.seg.name);
        this.#memWeight -= f.seg.weight;
        this.#inflight = null;
      }
      this.#finishIdle();
    } finally {
      this.#pumping = false;
    }
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
    const url = `${this.opts.baseUrl}/api/runs/${encodeURIComponent(this.runId)}/batch`;
    // The spooled lines are the request's ops verbatim: nothing is serialized twice.
    const body = `{"writer":${JSON.stringify(this.writer)},"ops":[${lines.join(",")}]}`;
    let res: PostAnswer;
    try {
      const auth: Record<string, string> = this.opts.apiKey
        ? { authorization: `Bearer ${this.opts.apiKey}` }
        : {};
      const timeout = AbortSignal.timeout(this.opts.requestTimeoutMs ?? 60_000);
      res = await postJson(url, body, auth, AbortSignal.any([this.#abort.signal, timeout]));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const what =
        err.name === "AbortError" ? "no answer (request timed out)" : (err.code ?? err.message);
      const why = `server ${this.opts.baseUrl} unreachable (${what})`;
      if (!this.#stopped) this.#warn("net", `${why}; spooled, retrying`);
      return { kind: "retry", why };
    }
    const text = res.text;
    if (res.status >= 200 && res.status < 300) return { kind: "ok" };
    const why = `server answered ${res.status} ${text.slice(0, 300)}`;
    if (res.status === 404 && this.opts.createPending?.(this.runId)) {
      // Another spool still holds this run's create: it is not on the server *yet*.
      return { kind: "retry", why };
    }
    if (
      res.status === 401 ||
      res.status === 403 ||
      res.status === 408 ||
      res.status === 429 ||
      res.status >= 500
    ) {
      this.#warn(String(res.status), `${why}; spooled, retrying`);
      return { kind: "retry", why };
    }
    // 400/404/409/413: the server will not take these ops as they are. Dropping them would lose
    // data (and, for a missing create, everything after it), so delivery stops and they stay.
    return { kind: "blocked", why };
  }

  #warn(kind: string, msg: string): void {
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    console.warn(`amltk: online run ${this.runId}: ${msg}`);
  }
}

function diskSegment(name: string): Segment {
  return { name, lines: null, info: null, weight: 0, bytes: 0, durable: true };
}

/** History points in an op: one per logged value, as the store counts them. */
export function opPoints(op: Op): number {
  if (op.type === "history_cols") {
    let n = op.cols.others.length;
    for (const k in op.cols.columns) n += op.cols.columns[k].values.length;
    return n;
  }
  if (op.type === "history") {
    let n = 0;
    for (const r of op.rows) n += Object.keys(r.values).length;
    return n;
  }
  return 0;
}

function opInfo(op: Op): OpInfo {
  return { rows: opRows(op), weight: opWeight(op), points: opPoints(op) };
}

/** End index of the next request's slice starting at `from`. */
function chunkEnd(info: readonly OpInfo[], from: number): number {
  let rows = 0;
  let points = 0;
  let i = from;
  while (i < info.length && i - from < REQ_OPS) {
    const { rows: r, weight: w } = info[i];
    if (i > from && (rows + r > REQ_ROWS || points + w > REQ_POINTS)) break;
    rows += r;
    points += w;
    i++;
  }
  return i;
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

export { sliceColumns };
