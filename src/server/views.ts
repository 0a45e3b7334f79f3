/**
 * Saved views of a project: a name and the dashboard's view state (the runs page's hash query:
 * filters, columns, grouping, panels, zoom), shared by name. Kept beside the runs in the
 * server's database, in a table this module creates itself (not a store migration, like the
 * API keys): on SQLite in the store's file, on PostgreSQL in its database; a store of neither
 * kind keeps them in memory for the server's life.
 */
import type { Db } from "../store/sqlite/db.js";

/**
 * One saved view: its project, name, the view state (a URL query string) and when it was
 * last saved (epoch ms).
 *
 * @example
 * ```ts
 * const view: SavedView = { project: "demo", name: "best lr", state: "f=lr<0.01&by=config.opt", updatedAt: Date.now() };
 * ```
 */
export interface SavedView {
  project: string;
  name: string;
  state: string;
  updatedAt: number;
}

/**
 * Where saved views live. One implementation per database kind; the server picks it from
 * the store it serves.
 *
 * @example
 * ```ts
 * const views: ViewStorage = new MemoryViewStorage();
 * await views.put("demo", "best lr", "f=lr<0.01");
 * console.log((await views.list("demo")).map((v) => v.name)); // ["best lr"]
 * ```
 */
export interface ViewStorage {
  /** The project's views, by name. */
  list(project: string): Promise<SavedView[]>;
  get(project: string, name: string): Promise<SavedView | undefined>;
  /** Creates or replaces the view. */
  put(project: string, name: string, state: string): Promise<SavedView>;
  /** False when there was no such view. */
  delete(project: string, name: string): Promise<boolean>;
}

/** Views in a Map: for stores without a database of their own (the memory store, tests). */
export class MemoryViewStorage implements ViewStorage {
  readonly #views = new Map<string, SavedView>();
  #id = (project: string, name: string) => JSON.stringify([project, name]);

  async list(project: string): Promise<SavedView[]> {
    return [...this.#views.values()]
      .filter((v) => v.project === project)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(project: string, name: string): Promise<SavedView | undefined> {
    return this.#views.get(this.#id(project, name));
  }

  async put(project: string, name: string, state: string): Promise<SavedView> {
    const view = { project, name, state, updatedAt: Date.now() };
    this.#views.set(this.#id(project, name), view);
    return view;
  }

  async delete(project: string, name: string): Promise<boolean> {
    return this.#views.delete(this.#id(project, name));
  }
}

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS server_saved_views (
  project TEXT NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  updated_at REAL NOT NULL,
  PRIMARY KEY (project, name)
)`;

interface ViewRow {
  project: string;
  name: string;
  state: string;
  updated_at: number;
}

const fromRow = (r: ViewRow): SavedView => ({
  project: r.project,
  name: r.name,
  state: r.state,
  updatedAt: Number(r.updated_at),
});

/** Views in the SQLite store's own file (table `server_saved_views`). */
export class SqliteViewStorage implements ViewStorage {
  #tableMade = false;

  // The table is made by the first write, not here: a server on a store it cannot write (read
  // only, a snapshot) must start, and it then simply has no saved views.
  constructor(private readonly db: Db) {}

  #hasTable(): boolean {
    if (this.#tableMade) return true;
    const row = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'server_saved_views'")
      .get();
    this.#tableMade = row !== undefined;
    return this.#tableMade;
  }

  #makeTable(): void {
    if (this.#hasTable()) return;
    this.db.exec(SQLITE_TABLE);
    this.#tableMade = true;
  }

  async list(project: string): Promise<SavedView[]> {
    if (!this.#hasTable()) return [];
    const rows = this.db
      .prepare("SELECT * FROM server_saved_views WHERE project = ? ORDER BY name")
      .all(project) as ViewRow[];
    return rows.map(fromRow);
  }

  async get(project: string, name: string): Promise<SavedView | undefined> {
    if (!this.#hasTable()) return undefined;
    const row = this.db
      .prepare("SELECT * FROM server_saved_views WHERE project = ? AND name = ?")
      .get(project, name) as ViewRow | undefined;
    return row && fromRow(row);
  }

  async put(project: string, name: string, state: string): Promise<SavedView> {
    this.#makeTable();
    const updatedAt = Date.now();
    this.db
      .prepare(
        `INSERT INTO server_saved_views (project, name, state, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (project, name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
      )
      .run(project, name, state, updatedAt);
    return { project, name, state, updatedAt };
  }

  async delete(project: string, name: string): Promise<boolean> {
    if (!this.#hasTable()) return false;
    const r = this.db
      .prepare("DELETE FROM server_saved_views WHERE project = ? AND name = ?")
      .run(project, name);
    return r.changes > 0;
  }
}

/** What {@link PostgresViewStorage} needs of a connection pool (`pg.Pool` has it). */
export interface PgQueryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

const PG_TABLE = `CREATE TABLE IF NOT EXISTS server_saved_views (
  project TEXT NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  updated_at DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (project, name)
)`;

/** Views in the PostgreSQL store's database (table `server_saved_views`, made on first use). */
export class PostgresViewStorage implements ViewStorage {
  #ready: Promise<unknown> | undefined;

  constructor(private readonly pool: () => PgQueryable) {}

  /** The table, created once per server (idempotent: several servers may share a database). */
  async #q(sql: string, params: unknown[]): Promise<ViewRow[]> {
    this.#ready ??= this.pool()
      .query(PG_TABLE)
      .catch((e: unknown) => {
        this.#ready = undefined; // try again on the next request
        throw e;
      });
    await this.#ready;
    return (await this.pool().query(sql, params)).rows as ViewRow[];
  }

  async list(project: string): Promise<SavedView[]> {
    const rows = await this.#q(
      "SELECT * FROM server_saved_views WHERE project = $1 ORDER BY name",
      [project],
    );
    return rows.map(fromRow);
  }

  async get(project: string, name: string): Promise<SavedView | undefined> {
    const [row] = await this.#q(
      "SELECT * FROM server_saved_views WHERE project = $1 AND name = $2",
      [project, name],
    );
    return row && fromRow(row);
  }

  async put(project: string, name: string, state: string): Promise<SavedView> {
    const updatedAt = Date.now();
    await this.#q(
      `INSERT INTO server_saved_views (project, name, state, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (project, name) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
      [project, name, state, updatedAt],
    );
    return { project, name, state, updatedAt };
  }

  async delete(project: string, name: string): Promise<boolean> {
    const rows = await this.#q(
      "DELETE FROM server_saved_views WHERE project = $1 AND name = $2 RETURNING name",
      [project, name],
    );
    return rows.length > 0;
  }
}
