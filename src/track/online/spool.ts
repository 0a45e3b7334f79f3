/**
 * The on-disk spool of one online writer: `<dir>/spool/<runId>~<writer>/` holding `meta.json`
 * and segment files `<first seq, 12 digits>.jsonl`, one op per line in seq order, in wire form
 * (non-finite numbers tagged). The outbox appends every op here before it is sent (write-ahead)
 * and removes a segment only once the server acknowledged all of it.
 *
 * Durability: appends go to the page cache with a plain `write`, never `fsync`. A process that
 * dies (kill -9 included) loses nothing it wrote, because the kernel owns those pages; only a
 * power loss or kernel crash may drop the last segments. An fsync per tracker flush (10 a second
 * per run) would cost milliseconds each on many disks and sink ingest throughput, for a failure
 * that the run's own history would not survive either (the offline store makes the same choice:
 * WAL with synchronous=NORMAL).
 *
 * Segments of older versions (`<seq>.json`, one JSON array) are still read.
 */
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Op } from "../../protocol/batch.js";
import { AmltkError, type AmltkErrorOptions } from "../../shared/errors.js";
import { ownerDead, processStartToken } from "../../store/run-record.js";

export interface SpoolMeta {
  runId: string;
  writer: string;
  baseUrl: string;
  pid: number;
  host: string;
  /** `processStartToken(pid)`: tells the writer from a later process given the same pid. */
  ownerStart?: string | null;
  createdAt: number;
}

/** A segment as read back: ops in wire form with their exact JSON lines. */
export interface SegmentContent {
  ops: Op[];
  lines: string[];
  /** The last line was cut short (the writer died inside a write: power loss, full disk). */
  tornTail: boolean;
}

/** A spool segment that cannot be read; it is kept on disk, never deleted. Code `spool_unreadable`. */
export class SpoolError extends AmltkError<"spool_unreadable"> {
  constructor(
    message: string,
    readonly path: string,
    options?: AmltkErrorOptions,
  ) {
    super("spool_unreadable", message, options);
    this.name = "SpoolError";
  }
}

export function spoolRoot(dir: string): string {
  return join(dir, "spool");
}

const SEGMENT = /^\d{12}\.jsonl?$/;

/** The segment file name for a segment whose first op has `seq`. */
export function segmentName(seq: number): string {
  return `${String(seq).padStart(12, "0")}.jsonl`;
}

/**
 * True when the process that wrote `meta` is certainly gone: same host, and its pid is dead or
 * now names another process (start time differs), so a reused pid never hides a dead writer.
 */
export function ownerGone(meta: Pick<SpoolMeta, "pid" | "host" | "ownerStart">): boolean {
  if (meta.pid === process.pid && meta.host === hostname()) return false;
  return ownerDead({ pid: meta.pid, host: meta.host, ownerStart: meta.ownerStart ?? null });
}

/** An open segment file that ops are appended to. */
export class SegmentFile {
  #bytes = 0;
  constructor(
    readonly name: string,
    private fd: number | null,
  ) {}

  /**
   * Appends one line (UTF-8, ending in "\n"; sync). On failure (full disk, read-only) the file is cut back to its last
   * whole line, so that a later reader never finds a torn line in the middle, and the error is
   * rethrown; the segment then takes no more lines.
   */
  append(line: string): void {
    if (this.fd === null) throw new Error(`segment ${this.name} is closed`);
    try {
      // One write of the string (no Buffer made here); a short count is treated as a failure.
      const n = writeSync(this.fd, line);
      const want = Buffer.byteLength(line);
      if (n !== want) throw new Error(`short write to ${this.name}: ${n} of ${want} bytes`);
      this.#bytes += n;
    } catch (e) {
      try {
        ftruncateSync(this.fd, this.#bytes);
      } catch {
        // nothing more to do: the reader drops a torn last line
      }
      this.close();
      throw e;
    }
  }

  get open(): boolean {
    return this.fd !== null;
  }

  close(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed by the OS (process exit)
    }
    this.fd = null;
  }
}

export class Spool {
  readonly path: string;
  #metaWritten = false;

  constructor(
    readonly dir: string,
    readonly meta: SpoolMeta,
  ) {
    this.path = join(spoolRoot(dir), `${meta.runId}~${meta.writer}`);
    this.#metaWritten = existsSync(join(this.path, "meta.json"));
  }

  /** Opens an existing spool folder (written by this or another process). */
  static open(path: string): Spool | undefined {
    try {
      const meta = JSON.parse(readFileSync(join(path, "meta.json"), "utf8")) as SpoolMeta;
      return new Spool(join(path, "..", ".."), meta);
    } catch {
      return undefined;
    }
  }

  /** Spool folders under `<dir>/spool`. */
  static list(dir: string): Spool[] {
    const root = spoolRoot(dir);
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .filter((n) => n.includes("~"))
      .sort()
      .map((n) => Spool.open(join(root, n)))
      .filter((s): s is Spool => s !== undefined);
  }

  /** Segment file names, oldest first. */
  segments(): string[] {
    if (!existsSync(this.path)) return [];
    return readdirSync(this.path)
      .filter((n) => SEGMENT.test(n))
      .sort();
  }

  #writeMeta(): void {
    mkdirSync(this.path, { recursive: true });
    writeFileSync(join(this.path, "meta.json"), JSON.stringify(this.meta));
    this.#metaWritten = true;
  }

  /** Creates segment `name` for appending (sync); the folder and meta.json come first. */
  openSegment(name: string): SegmentFile {
    if (!this.#metaWritten) this.#writeMeta();
    const file = join(this.path, name);
    try {
      return new SegmentFile(name, openSync(file, "a"));
    } catch (e) {
      // The folder went with a cleanup after the outbox was idle: make it again.
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      this.#writeMeta();
      return new SegmentFile(name, openSync(file, "a"));
    }
  }

  /** Writes ops (already numbered, wire form) as one whole segment. Sync. */
  write(ops: readonly Op[]): void {
    if (ops.length === 0) return;
    const seg = this.openSegment(segmentName(ops[0].seq));
    try {
      for (const op of ops) seg.append(`${JSON.stringify(op)}\n`);
    } finally {
      seg.close();
    }
  }

  /**
   * Reads a segment. Ops stay in wire form (`JSON.parse`, not `decodeJson`): they are sent as
   * they are. A torn last line is reported, not returned; any other bad line is a SpoolError.
   */
  read(name: string): SegmentContent {
    const file = join(this.path, name);
    const text = readFileSync(file, "utf8");
    if (name.endsWith(".json")) {
      const ops = parseOrThrow(text, file, 1) as Op[];
      return { ops, lines: ops.map((o) => JSON.stringify(o)), tornTail: false };
    }
    const lines = text.split("\n");
    // A whole segment ends with "\n": the last piece is "" unless the final write was cut.
    const tail = lines.pop() ?? "";
    const ops = lines.map((l, i) => parseOrThrow(l, file, i + 1) as Op);
    return { ops, lines, tornTail: tail.length > 0 };
  }

  remove(name: string): void {
    try {
      unlinkSync(join(this.path, name));
    } catch {
      // already gone (another deliverer): the server's ledger makes that harmless
    }
  }

  /** Deletes the folder once no segment is left. */
  cleanup(): void {
    if (this.segments().length === 0) rmSync(this.path, { recursive: true, force: true });
  }

  /**
   * Takes the folder for delivery by this process: a `lock` file holding our pid; a lock whose
   * owner died, or one this process left, is taken over. False when another live process holds it.
   */
  lock(): boolean {
    const file = join(this.path, "lock");
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, "wx");
        const me = {
          pid: process.pid,
          host: hostname(),
          ownerStart: processStartToken(process.pid),
        };
        writeFileSync(fd, JSON.stringify(me));
        closeSync(fd);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") return false;
        try {
          const owner = JSON.parse(readFileSync(file, "utf8")) as SpoolMeta;
          const mine = owner.pid === process.pid && owner.host === hostname();
          if (!mine && !ownerGone(owner)) {
            return false;
          }
          unlinkSync(file);
        } catch {
          return false;
        }
      }
    }
    return false;
  }

  unlock(): void {
    try {
      unlinkSync(join(this.path, "lock"));
    } catch {
      // never locked
    }
  }
}

function parseOrThrow(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SpoolError(
      `spool segment ${file} line ${line} is not valid JSON (${(e as Error).message}); kept on disk`,
      file,
      { cause: e },
    );
  }
}
