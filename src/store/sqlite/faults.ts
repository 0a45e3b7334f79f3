/**
 * What the SQLite store does when its file cannot be written: a full disk becomes a typed
 * `StoreFullError` naming the file, a read-only file or folder a `StoreError("readonly")`, and
 * a store that cannot be opened for writing is opened for reading instead, so that reading
 * commands (`amltk runs`, `amltk ui`) still work on it.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import type BetterSqlite3 from "better-sqlite3";
import { StoreFullError } from "../store-full-error.js";
import { StoreError } from "../types.js";

function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : "";
}

/** SQLITE_FULL: the disk is full, or the database reached `max_page_count`. */
export function isFull(err: unknown): boolean {
  return err instanceof StoreFullError || sqliteCode(err) === "SQLITE_FULL";
}

/** The file, folder or connection refuses writes (permissions, read-only media or open). */
export function isReadOnly(err: unknown): boolean {
  if (err instanceof StoreError) return err.code === "readonly";
  const code = sqliteCode(err);
  return code.startsWith("SQLITE_READONLY") || code === "SQLITE_PERM";
}

/**
 * A failed write as the typed error callers can act on (others unchanged): the file's path is
 * in the message, since a full disk is something the user has to go and fix.
 */
export function storeWriteError(path: string, err: unknown): unknown {
  if (err instanceof StoreError) return err;
  if (isFull(err)) return new StoreFullError(path);
  if (isReadOnly(err)) {
    return new StoreError(`store ${path} is read-only: ${(err as Error).message}`, "readonly");
  }
  return err;
}

/**
 * Errors from opening a store for writing after which opening it for reading may still work:
 * no permission on the file or its folder, a read-only file system, no space for the `-shm`
 * and `-wal` files SQLite creates beside it.
 */
export function canFallBackToReading(err: unknown): boolean {
  const code = sqliteCode(err);
  return (
    isReadOnly(err) ||
    isFull(err) ||
    code === "SQLITE_CANTOPEN" ||
    code.startsWith("SQLITE_IOERR") ||
    ["EACCES", "EPERM", "EROFS", "ENOSPC"].includes(code)
  );
}

/** Past this size a store is not copied into memory to be read (see `openForReading`). */
const MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024;

/**
 * Opens `file` read-only. A WAL database needs its `-shm` file to be read; when the folder
 * cannot be written and the last writer closed cleanly (no `-wal` left, so the file holds every
 * commit) there is none and SQLite cannot create one. Then the file is read into memory with
 * its header switched from WAL to rollback mode (bytes 18-19), which SQLite reads without a
 * `-shm`; that copy is opened read-only, so a write still fails instead of vanishing.
 */
export function openForReading(
  Database: typeof BetterSqlite3,
  file: string,
  options: BetterSqlite3.Options,
): BetterSqlite3.Database {
  const db = new Database(file, { ...options, readonly: true, fileMustExist: true });
  try {
    db.pragma("user_version", { simple: true });
    return db;
  } catch (err) {
    db.close();
    if (existsSync(`${file}-wal`) || statSync(file).size > MAX_SNAPSHOT_BYTES) throw err;
  }
  const bytes = readFileSync(file);
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  return new Database(bytes, { ...options, readonly: true });
}
