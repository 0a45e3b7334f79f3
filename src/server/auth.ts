/**
 * API keys. A key is `amltk_<id>_<secret>`: the id finds the row, the 256-bit random secret is
 * checked against `sha256(salt || secret)`. A fast hash is enough because the secret is random
 * (not a password), and ingest checks a key on every request. Keys live in the store's own
 * SQLite file, in a table this module creates (not a store migration), so `amltk keys` and
 * `amltk ui` share them.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../store/sqlite/db.js";

const TABLE_SQL = `CREATE TABLE IF NOT EXISTS server_api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  salt BLOB NOT NULL,
  hash BLOB NOT NULL,
  created_at REAL NOT NULL,
  last_used_at REAL,
  revoked_at REAL
)`;

/**
 * One API key as {@link ApiKeys.list} shows it: never the secret, only its id, name and
 * times (epoch milliseconds).
 *
 * @example
 * ```ts
 * const active: ApiKeyInfo[] = new ApiKeys(store.db).list().filter((k) => k.revokedAt === null);
 * for (const k of active) console.log(k.id, k.name, k.lastUsedAt);
 * ```
 */
export interface ApiKeyInfo {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const KEY_RE = /^amltk_([a-f0-9]{12})_([A-Za-z0-9_-]{43})$/;

function hash(salt: Buffer, secret: string): Buffer {
  return createHash("sha256").update(salt).update(secret).digest();
}

/**
 * The key table of one SQLite database.
 *
 * @example
 * ```ts
 * const keys = new ApiKeys(store.db);
 * const { key } = keys.create("ci"); // shown once; only its hash is stored
 * keys.verify(key); // -> "3f2a9c..." (the key id)
 * ```
 */
export class ApiKeys {
  // Verified keys are remembered briefly so a busy ingest does not hit the table per request;
  // a revoke (possibly from another process) takes effect within this time.
  static readonly CACHE_MS = 2_000;
  readonly #cache = new Map<string, { id: string; until: number }>();

  constructor(private readonly db: Db) {
    db.exec(TABLE_SQL);
  }

  /** Creates a key; the returned `key` is the only time the secret is visible. */
  create(name = "default"): { id: string; key: string } {
    const id = randomBytes(6).toString("hex");
    const secret = randomBytes(32).toString("base64url");
    const salt = randomBytes(16);
    this.db
      .prepare(
        "INSERT INTO server_api_keys (id, name, salt, hash, created_at) VALUES (?, ?, ?, ?, ?)",
      )
      .run(id, name, salt, hash(salt, secret), Date.now());
    return { id, key: `amltk_${id}_${secret}` };
  }

  list(): ApiKeyInfo[] {
    return this.db
      .prepare(
        `SELECT id, name, created_at AS createdAt, last_used_at AS lastUsedAt, revoked_at AS revokedAt
         FROM server_api_keys ORDER BY created_at`,
      )
      .all() as ApiKeyInfo[];
  }

  /** Revokes a key by id; false when no such (unrevoked) key exists. */
  revoke(id: string): boolean {
    this.#cache.clear();
    return (
      this.db
        .prepare("UPDATE server_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .run(Date.now(), id).changes > 0
    );
  }

  /** True when at least one unrevoked key exists. */
  any(): boolean {
    return !!this.db.prepare("SELECT 1 FROM server_api_keys WHERE revoked_at IS NULL").get();
  }

  /** The key's id when `key` is valid and not revoked, else undefined. */
  verify(key: string | undefined): string | undefined {
    if (!key) return undefined;
    const now = Date.now();
    const hit = this.#cache.get(key);
    if (hit && hit.until > now) return hit.id;
    const m = KEY_RE.exec(key);
    if (!m) return undefined;
    const row = this.db
      .prepare("SELECT salt, hash FROM server_api_keys WHERE id = ? AND revoked_at IS NULL")
      .get(m[1]) as { salt: Buffer; hash: Buffer } | undefined;
    if (!row || !timingSafeEqual(hash(row.salt, m[2]), row.hash)) return undefined;
    try {
      this.db.prepare("UPDATE server_api_keys SET last_used_at = ? WHERE id = ?").run(now, m[1]);
    } catch {
      // last_used_at is informational; a busy database must not fail the request
    }
    if (this.#cache.size > 1000) this.#cache.clear();
    this.#cache.set(key, { id: m[1], until: now + ApiKeys.CACHE_MS });
    return m[1];
  }
}
