/**
 * The on-disk spool of one online writer: `<dir>/spool/<runId>~<writer>/` holding `meta.json`
 * and segment files `<first seq, 12 digits>.json`, each a JSON array of ops in seq order. All
 * writes are synchronous: the spool is written from `process.on("exit")`, where nothing async
 * runs. A segment is written to a temp name and renamed, so a crash never leaves half a file
 * that looks complete.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { decodeJson, type Op } from "../../server/protocol.js";

export interface SpoolMeta {
  runId: string;
  writer: string;
  baseUrl: string;
  pid: number;
  host: string;
  createdAt: number;
}

export function spoolRoot(dir: string): string {
  return join(dir, "spool");
}

/** True when the process that wrote `meta` is certainly gone (same host, pid dead). */
export function ownerGone(meta: SpoolMeta): boolean {
  if (meta.host !== hostname()) return false;
  if (meta.pid === process.pid) return false;
  try {
    process.kill(meta.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
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
      .map((n) => Spool.open(join(root, n)))
      .filter((s): s is Spool => s !== undefined);
  }

  /** Segment file names, oldest first. */
  segments(): string[] {
    if (!existsSync(this.path)) return [];
    return readdirSync(this.path)
      .filter((n) => /^\d{12}\.json$/.test(n))
      .sort();
  }

  /** Appends ops (already numbered) as a new segment. Sync. */
  write(ops: readonly Op[]): void {
    if (ops.length === 0) return;
    mkdirSync(this.path, { recursive: true });
    if (!this.#metaWritten) {
      writeFileSync(join(this.path, "meta.json"), JSON.stringify(this.meta));
      this.#metaWritten = true;
    }
    const name = `${String(ops[0].seq).padStart(12, "0")}.json`;
    const tmp = join(this.path, `${name}.tmp`);
    // Ops are kept in wire form (non-finite numbers already tagged), so plain JSON is exact.
    writeFileSync(tmp, JSON.stringify(ops));
    renameSync(tmp, join(this.path, name));
  }

  read(name: string): Op[] {
    return decodeJson(readFileSync(join(this.path, name), "utf8")) as Op[];
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
   * owner died is taken over. False when a live process holds it.
   */
  lock(): boolean {
    const file = join(this.path, "lock");
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, "wx");
        writeFileSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }));
        closeSync(fd);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") return false;
        try {
          const owner = JSON.parse(readFileSync(file, "utf8")) as { pid: number; host: string };
          if (!ownerGone({ ...this.meta, pid: owner.pid, host: owner.host })) return false;
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
