/**
 * `openStore(target)`: the one place a command line's `--store` becomes a store. A
 * `postgres://` or `postgresql://` URL opens the PostgreSQL store (a team server's database);
 * anything else is a run folder (or its `amltk.db` file) for the embedded SQLite store.
 */
import { basename, dirname } from "node:path";
import { PostgresStore, type PostgresStoreOptions } from "./postgres/index.js";
import { SqliteStore } from "./sqlite/index.js";

/**
 * True for a `postgres://` or `postgresql://` URL (what {@link openStore} opens as PostgreSQL).
 *
 * @example
 * ```ts
 * isPostgresUrl("postgres://amltk@db/amltk"); // true
 * isPostgresUrl("./amltk-runs"); // false
 * ```
 */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/**
 * The folder of a SQLite store given as its folder or its `amltk.db` file.
 *
 * @example
 * ```ts
 * sqliteDirOf("runs/amltk.db"); // "runs"
 * sqliteDirOf("runs"); // "runs"
 * ```
 */
export function sqliteDirOf(target: string): string {
  return basename(target) === "amltk.db" ? dirname(target) : target;
}

/**
 * Opens the store `target` names: a PostgreSQL URL, or a run folder (created when missing).
 *
 * @example
 * ```ts
 * const store = await openStore(process.env.AMLTK_STORE ?? "./amltk-runs");
 * console.log(store.kind); // "sqlite" or "postgres"
 * await store.close();
 * ```
 */
export async function openStore(
  target: string,
  opts: { postgres?: PostgresStoreOptions } = {},
): Promise<SqliteStore | PostgresStore> {
  if (isPostgresUrl(target)) return PostgresStore.open(target, opts.postgres);
  return SqliteStore.open(sqliteDirOf(target));
}

/** Where a store lives, for messages: a URL without its password, or the folder. */
export function describeStoreTarget(target: string): string {
  return isPostgresUrl(target) ? target.replace(/(\/\/[^:/@]+):[^@/]*@/, "$1:***@") : target;
}
