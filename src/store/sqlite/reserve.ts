/**
 * Space kept in reserve beside a store, for the write that closes a run on a full disk.
 *
 * When the disk is full, SQLite cannot even rewrite a row in place: in WAL mode every changed
 * page is appended to `amltk.db-wal` first, and the WAL file only stops growing after a
 * checkpoint, which may itself need space. So a writable store keeps `amltk.db-reserve`, 1 MiB
 * of real (non-sparse) blocks; a write that closes a run and fails with SQLITE_FULL deletes it
 * and tries once more, so the run's record can still say it failed. The next writable open,
 * when there is space again, puts the reserve back.
 */
import { closeSync, existsSync, openSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

const RESERVE_BYTES = 1024 * 1024;

/** The reserve file of the store in `dir`. */
export function reservePath(dir: string): string {
  return join(dir, "amltk.db-reserve");
}

/** Creates the reserve when missing; best-effort (a full or read-only disk just has none). */
export function keepReserve(dir: string): void {
  const file = reservePath(dir);
  if (existsSync(file)) return;
  try {
    const fd = openSync(file, "wx");
    try {
      // Written, not truncated to size: a sparse file would free nothing when deleted.
      writeSync(fd, Buffer.alloc(RESERVE_BYTES));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    // EEXIST: another process made it just now. Otherwise a partial file frees little: remove it.
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") rmSync(file, { force: true });
  }
}

/** Deletes the reserve to free its space; false when there was none to free. */
export function releaseReserve(dir: string): boolean {
  try {
    unlinkSync(reservePath(dir));
    return true;
  } catch {
    return false;
  }
}
