/**
 * The write-ahead half of an outbox: ops appended to spool segments on disk as they come, and
 * handed out segment by segment, in order, for sending. Memory holds the segment being filled
 * and, up to `maxMemoryPoints`, the waiting ones; the rest are read back from disk when their
 * turn comes.
 */
import { type OpCounts, type OpInfo, opInfo } from "./op-info.js";
import { type SegmentFile, type Spool, segmentName } from "./spool.js";

export interface Segment {
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

/** A segment being filled is sealed past this many bytes (console lines weigh little but can be long). */
const SEGMENT_BYTES = 8 * 1024 * 1024;

export class SegmentQueue {
  #open: Segment | null = null;
  #queue: Segment[] = [];
  #memWeight = 0;
  /** Ops lost to a torn last line in a segment (a write cut by a power loss or a full disk). */
  tornOps = 0;

  constructor(
    private readonly spool: Spool,
    private readonly maxMemoryPoints: number,
    /** Segments left by another process: creates in them resume (see `load`). */
    private readonly foreign: boolean,
    private readonly warn: (kind: string, msg: string) => void,
  ) {
    if (foreign) this.#queue = spool.segments().map(diskSegment);
  }

  /** Nothing waiting and nothing being filled. */
  get empty(): boolean {
    return this.#queue.length === 0 && this.#open === null;
  }

  /** Sealed segments wait (a backlog, or ops left by another process): they go without delay. */
  get sealedWaiting(): boolean {
    return this.#queue.length > 0;
  }

  /** Appends one op's line to the spool (sync) and to the segment being filled. */
  append(line: string, seq: number, info: OpInfo): void {
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
        this.warn(
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
    // Half the memory bound (125k points by default): under a backlog a segment is about one
    // full request (the server's per-request cost stays small), and two fit in memory.
    const full = Math.max(1, Math.floor(this.maxMemoryPoints / 2));
    if (!seg.durable || seg.weight >= full || seg.bytes >= SEGMENT_BYTES) this.seal();
  }

  /** Closes the segment being filled and queues it. */
  seal(): void {
    const seg = this.#open;
    if (!seg) return;
    this.#open = null;
    seg.file?.close();
    this.#queue.push(seg);
    // Past the memory bound, the newest waiting segments live on disk only (sent last anyway).
    for (let i = this.#queue.length - 1; i >= 0 && this.#memWeight > this.maxMemoryPoints; i--) {
      const s = this.#queue[i];
      if (s.lines && s.durable) {
        this.#memWeight -= s.weight;
        s.lines = null;
        s.info = null;
        s.weight = 0;
      }
    }
  }

  /**
   * The next segment to send, loaded, taken off the queue; null when none. Throws a SpoolError
   * for an unreadable one, which stays first (delivery is in order) and on disk.
   */
  take(): Segment | null {
    if (this.#queue.length === 0) this.seal();
    const seg = this.#queue[0];
    if (!seg) return null;
    if (!seg.lines) {
      try {
        this.#load(seg);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        // Removed by an earlier deliverer after the server acknowledged it.
        this.#queue.shift();
        return this.take();
      }
    }
    this.#queue.shift();
    return seg;
  }

  /** A taken segment is acknowledged: its file goes. */
  acknowledged(seg: Segment): void {
    this.spool.remove(seg.name);
    this.#memWeight -= seg.weight;
  }

  /** Ops and points not acknowledged: `inflight` from `done` on, then the queue (read from disk). */
  left(inflight: Segment | null, done: number): OpCounts & { unreadable: number } {
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
    if (inflight) add(inflight, done);
    for (const s of this.#queue) add(s, 0);
    if (this.#open) add(this.#open, 0);
    return out;
  }

  #load(seg: Segment): void {
    const c = this.spool.read(seg.name);
    if (c.tornTail) {
      this.tornOps++;
      this.warn("torn", `spool segment ${seg.name}: last op cut short (not delivered)`);
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
}

function diskSegment(name: string): Segment {
  return { name, lines: null, info: null, weight: 0, bytes: 0, durable: true };
}
