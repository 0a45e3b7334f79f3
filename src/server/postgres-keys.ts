/**
 * API keys kept in PostgreSQL (the `server_api_keys` table of the PostgreSQL store's
 * migrations), for `amltk keys --store postgres://...` and a server on a `PostgresStore`.
 *
 * The key format, hashing and checks stay in one place, {@link ApiKeys}: this module only moves
 * rows. A server checks keys against an in-memory SQLite copy of the table (so a check is the
 * same synchronous microsecond lookup as on a SQLite store), and the copy is reloaded whenever
 * any process creates or revokes a key (`NOTIFY amltk_keys`, sent in the same transaction), or
 * after the listening connection was lost. A revoked key therefore stops working on every
 * server within a round trip of the revoke. `last_used_at` is kept in the copy only.
 */
import Database from "better-sqlite3";
import pg from "pg";
import type { PostgresStore } from "../store/postgres/index.js";
import { type ApiKeyInfo, ApiKeys, type KeyOptions } from "./auth.js";

/** The channel create and revoke notify. */
const KEYS_CHANNEL = "amltk_keys";

const COLUMNS = [
  "id",
  "name",
  "salt",
  "hash",
  "created_at",
  "last_used_at",
  "revoked_at",
  "scope",
  "projects",
] as const;

type KeyRow = Record<(typeof COLUMNS)[number], unknown>;

type Queryable = PostgresStore["pool"];

async function loadRows(db: Queryable): Promise<KeyRow[]> {
  const r = await db.query<KeyRow>(`SELECT ${COLUMNS.join(", ")} FROM server_api_keys`);
  return r.rows;
}

/** Replaces the copy's rows with `rows`. */
function fillCopy(copy: Database.Database, rows: readonly KeyRow[]): void {
  const ins = copy.prepare(
    `INSERT INTO server_api_keys (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`,
  );
  copy.transaction(() => {
    copy.exec("DELETE FROM server_api_keys");
    for (const r of rows) ins.run(...COLUMNS.map((c) => r[c]));
  })();
}

/**
 * The key table of a PostgreSQL store: what `amltk keys` does on a folder, on a database.
 *
 * @example
 * ```ts
 * const store = await PostgresStore.open(url);
 * const admin = new PostgresKeyAdmin(store);
 * const { key } = await admin.create("ci", { scope: "write" }); // shown once
 * console.log(await admin.list());
 * ```
 */
export class PostgresKeyAdmin {
  constructor(private readonly store: PostgresStore) {}

  /** Creates a key ({@link ApiKeys.create}'s format and checks); answers it (shown only now). */
  async create(name = "default", opts: KeyOptions = {}): Promise<{ id: string; key: string }> {
    const scratch = new Database(":memory:");
    try {
      const made = new ApiKeys(scratch).create(name, opts);
      const row = scratch
        .prepare(`SELECT ${COLUMNS.join(", ")} FROM server_api_keys WHERE id = ?`)
        .get(made.id) as KeyRow;
      await withClient(this.store, async (c) => {
        await c.query(
          `INSERT INTO server_api_keys (${COLUMNS.join(", ")})
           VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(", ")})`,
          COLUMNS.map((col) => row[col]),
        );
        await c.query(`NOTIFY ${KEYS_CHANNEL}`);
      });
      return made;
    } finally {
      scratch.close();
    }
  }

  async list(): Promise<ApiKeyInfo[]> {
    const copy = new Database(":memory:");
    try {
      const keys = new ApiKeys(copy);
      fillCopy(copy, await loadRows(this.store.pool));
      return keys.list();
    } finally {
      copy.close();
    }
  }

  /** Revokes a key by id; false when no such (unrevoked) key exists. */
  async revoke(id: string): Promise<boolean> {
    return withClient(this.store, async (c) => {
      const r = await c.query(
        "UPDATE server_api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        [id, Date.now()],
      );
      await c.query(`NOTIFY ${KEYS_CHANNEL}`);
      return (r.rowCount ?? 0) > 0;
    });
  }

  /** True when at least one unrevoked key exists. */
  async any(): Promise<boolean> {
    const r = await this.store.pool.query(
      "SELECT 1 FROM server_api_keys WHERE revoked_at IS NULL LIMIT 1",
    );
    return (r.rowCount ?? 0) > 0;
  }
}

/** One transaction on a client of the store's pool. */
async function withClient<T>(
  store: PostgresStore,
  fn: (c: pg.ClientBase) => Promise<T>,
): Promise<T> {
  const c = new pg.Client({ connectionString: store.url });
  await c.connect();
  try {
    await c.query("BEGIN");
    const out = await fn(c);
    await c.query("COMMIT");
    return out;
  } catch (err) {
    await c.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * The server side: {@link ApiKeys} over an in-memory copy of the table, kept current by
 * LISTEN. Pass `keys.keys` to `createServer({ auth: { keys } })`.
 *
 * @example
 * ```ts
 * const keys = await PostgresServerKeys.open(store);
 * const server = await createServer({ store, auth: { keys: keys.keys } });
 * // ...
 * await server.close();
 * await keys.close();
 * ```
 */
export class PostgresServerKeys {
  readonly keys: ApiKeys;
  readonly #copy: Database.Database;
  #listener: pg.Client | undefined;
  #closed = false;
  #reloading: Promise<void> | undefined;

  private constructor(private readonly store: PostgresStore) {
    this.#copy = new Database(":memory:");
    this.keys = new ApiKeys(this.#copy);
  }

  /** Loads the keys and starts listening for changes. */
  static async open(store: PostgresStore): Promise<PostgresServerKeys> {
    const k = new PostgresServerKeys(store);
    await k.#listen();
    return k;
  }

  /** Reloads the copy (also done on every change notice). */
  async reload(): Promise<void> {
    this.#reloading ??= (async () => {
      try {
        fillCopy(this.#copy, await loadRows(this.store.pool));
      } finally {
        this.#reloading = undefined;
      }
    })();
    return this.#reloading;
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.store.url,
      application_name: "amltk-keys",
    });
    const lost = () => {
      if (this.#listener !== client) return;
      this.#listener = undefined;
      client.end().catch(() => {});
      // Reconnect with backoff; the copy keeps answering meanwhile.
      if (!this.#closed) this.#retryListen(250);
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", () => void this.reload().catch(() => {}));
    await client.connect();
    await client.query(`LISTEN ${KEYS_CHANNEL}`);
    this.#listener = client;
    // Changes made before LISTEN took effect are in this load.
    await this.reload();
  }

  #retryListen(ms: number): void {
    const t = setTimeout(() => {
      if (this.#closed) return;
      this.#listen().catch(() => this.#retryListen(Math.min(ms * 2, 5000)));
    }, ms);
    t.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const c = this.#listener;
    this.#listener = undefined;
    await c?.end().catch(() => {});
    await this.#reloading?.catch(() => {});
    this.#copy.close();
  }
}
