/**
 * API keys. A key is `amltk_<id>_<secret>`: the id finds the row, the 256-bit random secret is
 * checked against `sha256(salt || secret)`. A fast hash is enough because the secret is random
 * (not a password). Keys live in the store's own SQLite file, in a table this module creates
 * and migrates itself (not a store migration), so `amltk keys` and `amltk ui` share them.
 *
 * Every request checks its key against the table (one indexed read and one sha256, a few
 * microseconds): no cache, so a key revoked by `amltk keys revoke` in another process stops
 * working on the very next request.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { OptionError } from "../shared/options.js";
import type { Db } from "../store/sqlite/db.js";

const TABLE_SQL = `CREATE TABLE IF NOT EXISTS server_api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  salt BLOB NOT NULL,
  hash BLOB NOT NULL,
  created_at REAL NOT NULL,
  last_used_at REAL,
  revoked_at REAL,
  scope TEXT NOT NULL DEFAULT 'write',
  projects TEXT
)`;

/** Columns added after the first release of the table; keys made before them can write anywhere. */
const ADDED_COLUMNS: [string, string][] = [
  ["scope", "TEXT NOT NULL DEFAULT 'write'"],
  ["projects", "TEXT"],
];

/**
 * What a key may do: `read` only reads; `write` reads and writes.
 *
 * @example
 * ```ts
 * const scope: KeyScope = "read"; // a dashboard viewer's key
 * new ApiKeys(store.db).create("viewer", { scope });
 * ```
 */
export type KeyScope = "read" | "write";

/**
 * What a valid key grants: its id, its scope and the projects it is limited to (`null`: all).
 *
 * @example
 * ```ts
 * const grant: KeyGrant | undefined = keys.check(key);
 * if (grant?.scope === "write" && allowsProject(grant, "demo")) console.log("may write demo");
 * ```
 */
export interface KeyGrant {
  id: string;
  scope: KeyScope;
  projects: string[] | null;
}

/**
 * One API key as {@link ApiKeys.list} shows it: never the secret, only its id, name, scope,
 * projects and times (epoch milliseconds).
 *
 * @example
 * ```ts
 * const active: ApiKeyInfo[] = new ApiKeys(store.db).list().filter((k) => k.revokedAt === null);
 * for (const k of active) console.log(k.id, k.name, k.scope, k.projects ?? "all projects");
 * ```
 */
export interface ApiKeyInfo {
  id: string;
  name: string;
  scope: KeyScope;
  projects: string[] | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/**
 * Options of {@link ApiKeys.create}.
 *
 * @example
 * ```ts
 * const opts: KeyOptions = { scope: "write", projects: ["demo"] }; // may write project demo only
 * ```
 */
export interface KeyOptions {
  /** Default `"write"`. */
  scope?: KeyScope;
  /** Limit the key to these projects (default: every project). */
  projects?: readonly string[];
}

/**
 * A bad scope or project list given to {@link ApiKeys.create}; the message names the value.
 * Code `invalid_option`.
 *
 * @example
 * ```ts
 * try {
 *   keys.create("x", { projects: [] });
 * } catch (e) {
 *   if (e instanceof KeyOptionError) console.error(e.message); // "a key's project list must not be empty"
 * }
 * ```
 */
export class KeyOptionError extends OptionError {
  override name = "KeyOptionError";
  constructor(message: string) {
    super("invalid_option", message);
  }
}

/**
 * True when the grant covers `project`.
 *
 * @example
 * ```ts
 * allowsProject({ id: "3f2a9c0b1d2e", scope: "write", projects: ["demo"] }, "other"); // false
 * ```
 */
export function allowsProject(grant: KeyGrant, project: string): boolean {
  return grant.projects === null || grant.projects.includes(project);
}

const KEY_RE = /^amltk_([a-f0-9]{12})_([A-Za-z0-9_-]{43})$/;

/**
 * A key's 256-bit secret, 43 characters of `[A-Za-z0-9_]`: base64url with `-` written as `_`.
 * No `-`, because the W&B client refuses a key with a `-` unless 40+ characters follow the first
 * one (it takes what precedes it for an on-prem prefix), and our keys must work as
 * `WANDB_API_KEY`. Keys made before this may hold a `-`; they still verify.
 */
function newSecret(): string {
  return randomBytes(32).toString("base64url").replaceAll("-", "_");
}

/**
 * The key inside an HTTP Basic credential (`Authorization: Basic base64(user:key)`), as the
 * W&B client sends it (user `api`): the part after the first `:`. Undefined when the header is
 * not Basic or holds no `:`.
 *
 * @example
 * ```ts
 * keyFromBasic(`Basic ${Buffer.from("api:amltk_0123456789ab_x").toString("base64")}`); // "amltk_0123456789ab_x"
 * ```
 */
export function keyFromBasic(header: string | undefined): string | undefined {
  const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 || colon === decoded.length - 1 ? undefined : decoded.slice(colon + 1);
}

/** `last_used_at` is informational: written at most this often per key, not per request. */
const TOUCH_MS = 10_000;

function hash(salt: Buffer, secret: string): Buffer {
  return createHash("sha256").update(salt).update(secret).digest();
}

function checkOptions(o: KeyOptions): { scope: KeyScope; projects: string | null } {
  const scope = o.scope ?? "write";
  if (scope !== "read" && scope !== "write") {
    throw new KeyOptionError(`key scope must be "read" or "write", got ${JSON.stringify(scope)}`);
  }
  if (o.projects === undefined) return { scope, projects: null };
  if (o.projects.length === 0) throw new KeyOptionError("a key's project list must not be empty");
  for (const p of o.projects) {
    if (typeof p !== "string" || p === "" || p.length > 256) {
      throw new KeyOptionError(`bad project name ${JSON.stringify(p)} (1..256 characters)`);
    }
  }
  return { scope, projects: JSON.stringify([...new Set(o.projects)]) };
}

function parseProjects(text: string | null): string[] | null {
  return text === null ? null : (JSON.parse(text) as string[]);
}

/**
 * The key table of one SQLite database.
 *
 * @example
 * ```ts
 * const keys = new ApiKeys(store.db);
 * const { key } = keys.create("ci", { scope: "write", projects: ["demo"] }); // shown once
 * keys.check(key); // -> { id: "3f2a9c...", scope: "write", projects: ["demo"] }
 * ```
 */
export class ApiKeys {
  readonly #touched = new Map<string, number>();
  #lookup: ReturnType<Db["prepare"]> | undefined;

  constructor(private readonly db: Db) {
    // Best effort: a read-only store still opens (keys then only verify if the table exists).
    try {
      db.exec(TABLE_SQL);
      const have = new Set(
        (db.prepare("PRAGMA table_info(server_api_keys)").all() as { name: string }[]).map(
          (c) => c.name,
        ),
      );
      for (const [name, type] of ADDED_COLUMNS) {
        if (!have.has(name)) db.exec(`ALTER TABLE server_api_keys ADD COLUMN ${name} ${type}`);
      }
    } catch {
      // the store cannot be written; check() answers from whatever table exists
    }
  }

  /** Creates a key; the returned `key` is the only time the secret is visible. */
  create(name = "default", opts: KeyOptions = {}): { id: string; key: string } {
    const { scope, projects } = checkOptions(opts);
    const id = randomBytes(6).toString("hex");
    const secret = newSecret();
    const salt = randomBytes(16);
    this.db
      .prepare(
        `INSERT INTO server_api_keys (id, name, salt, hash, created_at, scope, projects)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, name, salt, hash(salt, secret), Date.now(), scope, projects);
    return { id, key: `amltk_${id}_${secret}` };
  }

  list(): ApiKeyInfo[] {
    const rows = this.db
      .prepare(
        `SELECT id, name, scope, projects, created_at AS createdAt, last_used_at AS lastUsedAt,
                revoked_at AS revokedAt
         FROM server_api_keys ORDER BY created_at`,
      )
      .all() as (Omit<ApiKeyInfo, "projects"> & { projects: string | null })[];
    return rows.map((r) => ({ ...r, projects: parseProjects(r.projects) }));
  }

  /** Revokes a key by id; false when no such (unrevoked) key exists. */
  revoke(id: string): boolean {
    return (
      this.db
        .prepare("UPDATE server_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .run(Date.now(), id).changes > 0
    );
  }

  /** True when at least one unrevoked key exists. */
  any(): boolean {
    try {
      return !!this.db.prepare("SELECT 1 FROM server_api_keys WHERE revoked_at IS NULL").get();
    } catch {
      return false;
    }
  }

  /** What `key` grants when it is valid and not revoked, else undefined. */
  check(key: string | undefined): KeyGrant | undefined {
    if (!key) return undefined;
    const m = KEY_RE.exec(key);
    if (!m) return undefined;
    let row: { salt: Buffer; hash: Buffer; scope: KeyScope; projects: string | null } | undefined;
    try {
      this.#lookup ??= this.db.prepare(
        "SELECT salt, hash, scope, projects FROM server_api_keys WHERE id = ? AND revoked_at IS NULL",
      );
      row = this.#lookup.get(m[1]) as typeof row;
    } catch {
      return undefined; // no key table (a read-only store that never had keys): no valid key
    }
    if (!row || !timingSafeEqual(hash(row.salt, m[2]!), row.hash)) return undefined;
    this.#touch(m[1]!);
    return { id: m[1]!, scope: row.scope, projects: parseProjects(row.projects) };
  }

  /** The key's id when `key` is valid and not revoked, else undefined. */
  verify(key: string | undefined): string | undefined {
    return this.check(key)?.id;
  }

  #touch(id: string): void {
    const now = Date.now();
    if ((this.#touched.get(id) ?? 0) + TOUCH_MS > now) return;
    if (this.#touched.size > 1000) this.#touched.clear();
    this.#touched.set(id, now);
    try {
      this.db.prepare("UPDATE server_api_keys SET last_used_at = ? WHERE id = ?").run(now, id);
    } catch {
      // last_used_at is informational; a busy or read-only database must not fail the request
    }
  }
}
