/**
 * The write-ahead spool of a run logged to a W&B-protocol server: what the run wrote is on disk
 * before anything is sent, so a process killed at any point loses nothing that reached the
 * spool, and `amltk sync` (or the next `init`) sends the rest.
 *
 * `<dir>/wandb-spool/<run id>/`:
 * - `run.json`: where it goes (base URL, entity, project), the run's UpsertBucket variables and
 *   summary with a version each, the close (`exitcode`), the owner pid, and the line offsets of
 *   the first line of each stream file (a resumed run continues the server's counts).
 * - `wandb-history.jsonl`, `wandb-events.jsonl`, `output.log`: the lines, one per line, in the
 *   W&B format (console lines JSON-quoted, so a line may hold any text).
 * - `acked.json`: what the server acknowledged: per file the line offset and byte position
 *   reached, the versions of variables and summary, and whether the close was taken.
 *
 * The server takes file_stream lines exactly once by offset, so sending a line again (after a
 * crash between the server's answer and the `acked.json` write) doubles nothing.
 */
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { UpsertBucketVariables } from "../../protocol/wandb/index.js";
import { FILE_STREAM_FILES } from "../../protocol/wandb/index.js";

/** The stream files of a spool, in the order they are sent. */
export const STREAM_FILES = [
  FILE_STREAM_FILES.history,
  FILE_STREAM_FILES.events,
  FILE_STREAM_FILES.output,
] as const;
export type StreamFile = (typeof STREAM_FILES)[number];

/** The state of a spooled run (`run.json`). */
export interface SpoolRun {
  baseUrl: string;
  entity: string | null;
  project: string;
  runId: string;
  /** The process that writes the spool (while it lives, nobody else sends it). */
  pid: number;
  ownerStart: string | null;
  host: string;
  /** Line offset on the server of each stream file's first spooled line. */
  base: Record<StreamFile, number>;
  vars: { version: number; value: UpsertBucketVariables };
  summary: { version: number; line: string | null };
  /** Set when the run finished: the exit code the server closes it with. */
  exitcode: number | null;
}

/** What the server acknowledged (`acked.json`). */
export interface SpoolAcked {
  files: Record<StreamFile, { line: number; byte: number }>;
  vars: number;
  summary: number;
  closed: boolean;
}

const SPOOL_DIR = "wandb-spool";

/** Spool folders a store of this process writes and sends now (sync leaves them alone). */
const ACTIVE = new Set<string>();

/** True while a store of this process writes the spool in `dir`. */
export function isActiveSpool(dir: string): boolean {
  return ACTIVE.has(dir);
}

/** The folder of every spooled run under a run folder root. */
export function spoolRoot(dir: string): string {
  return join(dir, SPOOL_DIR);
}

function writeJsonAtomic(path: string, value: unknown): void {
  const temp = `${path}.tmp`;
  writeFileSync(temp, JSON.stringify(value));
  renameSync(temp, path);
}

function emptyAcked(): SpoolAcked {
  const files = {} as SpoolAcked["files"];
  for (const f of STREAM_FILES) files[f] = { line: 0, byte: 0 };
  return { files, vars: 0, summary: 0, closed: false };
}

/** One run's spool folder. */
export class WandbSpool {
  readonly dir: string;
  run: SpoolRun;
  acked: SpoolAcked;
  /** Lines appended to each file (the run's own count; a sender reads the files). */
  readonly #lines = new Map<StreamFile, number>();

  private constructor(dir: string, run: SpoolRun, acked: SpoolAcked) {
    this.dir = dir;
    this.run = run;
    this.acked = acked;
  }

  /**
   * Creates the spool of a new (or resumed) run, in a folder of its own per process (a spool
   * that an earlier process of the same run left stays apart, for sync to send).
   */
  static create(root: string, run: SpoolRun): WandbSpool {
    const dir = join(spoolRoot(root), `${run.runId}.${run.pid}.${randomBytes(4).toString("hex")}`);
    mkdirSync(dir, { recursive: true });
    const spool = new WandbSpool(dir, run, emptyAcked());
    ACTIVE.add(dir);
    for (const f of STREAM_FILES) writeFileSync(join(dir, f), "");
    writeJsonAtomic(join(dir, "acked.json"), spool.acked);
    writeJsonAtomic(join(dir, "run.json"), run);
    return spool;
  }

  /** Opens a spool a process left; undefined when it is not one (half created, unreadable). */
  static open(dir: string): WandbSpool | undefined {
    try {
      const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as SpoolRun;
      const acked = JSON.parse(readFileSync(join(dir, "acked.json"), "utf8")) as SpoolAcked;
      return new WandbSpool(dir, run, acked);
    } catch {
      return undefined;
    }
  }

  /** The spools under a run folder root. */
  static list(root: string): string[] {
    try {
      return readdirSync(spoolRoot(root)).map((name) => join(spoolRoot(root), name));
    } catch {
      return [];
    }
  }

  /** Appends lines to a stream file (synchronously: they are on disk when this returns). */
  append(file: StreamFile, lines: readonly string[]): void {
    if (lines.length === 0) return;
    appendFileSync(join(this.dir, file), `${lines.join("\n")}\n`);
    this.#lines.set(file, (this.#lines.get(file) ?? 0) + lines.length);
  }

  /** Replaces the run's state (variables, summary, close) with a new version. */
  saveRun(): void {
    writeJsonAtomic(join(this.dir, "run.json"), this.run);
  }

  saveAcked(): void {
    writeJsonAtomic(join(this.dir, "acked.json"), this.acked);
  }

  /** Complete lines of `file` after the acknowledged position, at most `maxBytes` of them. */
  readFrom(file: StreamFile, maxBytes: number): { lines: string[]; bytes: number } {
    const at = this.acked.files[file].byte;
    const text = readRange(join(this.dir, file), at, maxBytes);
    const end = text.lastIndexOf("\n");
    if (end < 0) return { lines: [], bytes: 0 };
    const chunk = text.slice(0, end);
    return { lines: chunk.split("\n"), bytes: Buffer.byteLength(chunk) + 1 };
  }

  /** Bytes of `file` not yet acknowledged. */
  unreadBytes(file: StreamFile): number {
    return statSync(join(this.dir, file)).size - this.acked.files[file].byte;
  }

  /** Everything was acknowledged, the close included. */
  get done(): boolean {
    return (
      this.acked.closed &&
      this.acked.vars >= this.run.vars.version &&
      this.acked.summary >= this.run.summary.version
    );
  }

  /** The writing store let go of it (closed): it is now a leftover for sync. */
  release(): void {
    ACTIVE.delete(this.dir);
  }

  remove(): void {
    this.release();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function readRange(path: string, from: number, maxBytes: number): string {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(maxBytes);
    const n = readSync(fd, buf, 0, maxBytes, from);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}
