/** `PostgresStore`: the team server's backend (many server processes, many writers, one database). */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type pg from "pg";
import { copyBucket } from "../chunk-buckets.js";
import type { BatchWriter, HistoryBatch } from "../history-batch.js";
import { ownerDead } from "../run-record.js";
import { checkSeriesQuery } from "../series-query.js";
import {
  type ConsoleLine,
  type HistoryKeyInfo,
  type HistoryRow,
  type Point,
  type PointQuery,
  type ProjectInfo,
  type RunInit,
  type RunPatch,
  type RunQuery,
  type RunRecord,
  type Series,
  type SeriesQuery,
  type Store,
  StoreError,
  type StoreTransaction,
  type SystemSample,
} from "../types.js";
import { CHANGES_CHANNEL, ChangeCounter, ChangeNotifier } from "./changes.js";
import { inTransaction, makePool, redact, storeErrorOf, withRetries } from "./connection.js";
import {
  consoleCountOf,
  historyKeyRows,
  readConsoleRows,
  readHistoryRows,
  readPointRows,
  systemKeyRows,
} from "./history-read.js";
import { migrate } from "./migrations.js";
import { RunPageCache } from "./run-page-cache.js";
import { projectRows, queryRunPage } from "./run-query.js";
import { getRunRow, type Queryable, recordOfKept } from "./runs.js";
import { readSeriesRows } from "./series.js";
import { ChunkCache, SeriesCache } from "./series-cache.js";
import {
  checkOptions,
  POSTGRES_STORE_DEFAULTS,
  type PostgresStoreOptions,
} from "./store-options.js";
import { noteRowWrite, PgTransaction, type RowWrite } from "./transaction.js";

export { POSTGRES_STORE_DEFAULTS, type PostgresStoreOptions };

/** Runs whose series stamps a store keeps; past it, it forgets them and its cached series. */
const MAX_STAMPED_RUNS = 100_000;

/**
 * The {@link Store} on PostgreSQL: for a team's tracking server (`amltk ui --store
 * postgres://...`), several server processes on one database, backups as operators know them.
 * Same contract and conformance suite as the SQLite store; versioned migrations applied on open.
 *
 * @example
 * ```ts
 * import { createServer, PostgresStore } from "amltk/server";
 *
 * const store = await PostgresStore.open("postgres://amltk@db.internal/amltk");
 * const server = await createServer({ store, port: 8080 });
 * // ...
 * await server.close();
 * await store.close();
 * ```
 */
export class PostgresStore implements Store, BatchWriter {
  readonly kind = "postgres";
  readonly #pool: pg.Pool;
  /** Reads only: never queued behind ingest transactions holding `#pool`'s connections. */
  readonly #readPool: pg.Pool;
  readonly #changes: ChangeCounter;
  readonly #notifier: ChangeNotifier;
  readonly #opts: Required<PostgresStoreOptions>;
  readonly #seriesCache = new SeriesCache();
  /**
   * Per run, a stamp that moves when a commit of this process wrote its history or system
   * samples (`PgTransaction.seriesWritten`): a cached series holds while its run's stamp does.
   */
  readonly #seriesStamps = new Map<string, number>();
  #lastStamp = 0;
  /** Moves when the stamps are forgotten (past {@link MAX_STAMPED_RUNS}): every entry goes. */
  #stampEpoch = 0;
  readonly #chunkCache = new ChunkCache();
  /** Runs pages kept while their project is unchanged (`run-page-cache.ts`). */
  readonly #runPages = new RunPageCache();
  /** The listening connection the chunk cache was filled under (`ChangeCounter.epoch`). */
  #chunkEpoch = -1;
  #closed = false;

  private constructor(
    readonly url: string,
    pool: pg.Pool,
    readPool: pg.Pool,
    opts: Required<PostgresStoreOptions>,
  ) {
    this.#pool = pool;
    this.#readPool = readPool;
    this.#opts = opts;
    // This store's NOTIFYs carry a token, so that it tells other processes' writes from its own.
    const token = randomUUID();
    this.#changes = new ChangeCounter(url, token);
    this.#notifier = new ChangeNotifier(() =>
      pool.query("SELECT pg_notify($1, $2)", [CHANGES_CHANNEL, token]),
    );
  }

  /**
   * Connects to `url` (`postgres://user:password@host:port/database`, or `?host=/socket/dir`)
   * and applies pending migrations.
   *
   * @throws StoreSchemaTooNewError when the database was migrated by a newer amltk.
   */
  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const o = checkOptions(opts);
    const pool = makePool(url, o.maxConnections, o.applicationName);
    try {
      await withRetries(o, () => migrate(pool, redact(url)));
    } catch (err) {
      await pool.end().catch(() => {});
      throw storeErrorOf(err, url);
    }
    const readPool = makePool(url, o.readConnections, `${o.applicationName}-read`);
    return new PostgresStore(url, pool, readPool, o);
  }

  /** The pool, for the server's key table (`amltk keys` on PostgreSQL). */
  get pool(): Queryable {
    this.#check();
    return this.#pool;
  }

  #check(): void {
    if (this.#closed) throw new StoreError(`store at ${redact(this.url)} is closed`, "closed");
  }

  /** A read on the read pool, retried over a restart like writes are. */
  async #read<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    this.#check();
    try {
      return await withRetries(this.#opts, () => fn(this.#readPool));
    } catch (err) {
      throw storeErrorOf(err, this.url);
    }
  }

  /** One transaction; see {@link Store.transaction} and `transaction.ts` for how turns are taken. */
  async transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    this.#check();
    let committed = false;
    let seriesWritten: ReadonlySet<string> = new Set();
    // Every try's runs, committed or not (a commit whose answer was lost may have landed).
    const runsWritten = new Map<string, RowWrite>();
    try {
      const out = await withRetries(this.#opts, () =>
        inTransaction(this.#pool, async (client) => {
          const tx = new PgTransaction(client);
          try {
            const result = await fn(tx);
            committed = tx.wrote;
            seriesWritten = tx.seriesWritten;
            return result;
          } finally {
            tx.ended = true;
            this.#runPages.learn(tx.created);
            for (const [id, how] of tx.runsWritten) noteRowWrite(runsWritten, id, how);
          }
        }),
      );
      return out;
    } catch (err) {
      committed = false;
      throw storeErrorOf(err, this.url);
    } finally {
      this.#runPages.written(runsWritten);
      if (committed) {
        this.#stampSeries(seriesWritten);
        this.#changes.bump();
        this.#notifier.committed();
      }
    }
  }

  async createRun(run: RunInit): Promise<RunRecord> {
    return this.transaction((tx) => (tx as PgTransaction).createRunRecord(run));
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const run = await this.#read((db) => getRunRow(db, id));
    if (run?.state === "running" && ownerDead(run)) {
      await this.#markCrashed([run.id]);
      return this.#read((db) => getRunRow(db, id));
    }
    return run;
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    await this.transaction((tx) => tx.updateRun(id, patch));
  }

  async deleteRun(id: string): Promise<void> {
    await this.transaction((tx) => (tx as PgTransaction).deleteRun(id));
  }

  async listRuns(query?: RunQuery): Promise<{ runs: RunRecord[]; total: number }> {
    // Only the query's project can change this page (a dead run of another project is marked
    // when its own pages, the project list or the periodic reaper read it).
    return this.#readAfterReap(() => this.#runsPage(query), query?.project);
  }

  /**
   * The ids of a runs page, from memory while no write could have moved them (a live chart's
   * runs: their flushes and history do not). No look for dead writers: `listRuns` and the
   * reapers mark them, and a marked run's page is read again.
   */
  async listRunIds(query?: RunQuery): Promise<string[]> {
    await this.changeVersion(); // listening from now on: other processes' writes are counted
    const pages = this.#runPages.at(String(this.#changes.foreign));
    const kept = pages.getIds(query);
    if (kept) return kept;
    const token = pages.token(query, true);
    const page = await this.#read((db) => queryRunPage(db, query));
    pages.setIds(query, page, token);
    return page.rows.map((r) => r.id);
  }

  /** A runs page, from the cache while its project is unchanged (`run-page-cache.ts`). */
  async #runsPage(query?: RunQuery): Promise<{ runs: RunRecord[]; total: number }> {
    await this.changeVersion(); // listening from now on: other processes' writes are counted
    const pages = this.#runPages.at(String(this.#changes.foreign));
    const kept = pages.get(query);
    if (kept) return kept;
    const token = pages.token(query);
    const page = await this.#read((db) => queryRunPage(db, query));
    pages.set(query, page, token);
    return { runs: page.rows.map(recordOfKept), total: page.total };
  }

  async listProjects(): Promise<ProjectInfo[]> {
    return this.#readAfterReap(() => this.#read((db) => projectRows(db)));
  }

  /**
   * `read` as if this host's runs with a dead owner were marked crashed first. The look for them
   * and the read go out together (one round trip's wait, not two); only when a run was marked
   * is the read made again, to show it crashed.
   */
  async #readAfterReap<T>(read: () => Promise<T>, project?: string): Promise<T> {
    const [marked, first] = await Promise.all([this.#reapDeadPids(project), read()]);
    return marked.length > 0 ? read() : first;
  }

  async appendHistory(runId: string, rows: readonly HistoryRow[]): Promise<void> {
    await this.transaction((tx) => tx.appendHistory(runId, rows));
  }

  async appendHistoryBatch(runId: string, batch: HistoryBatch): Promise<void> {
    await this.transaction((tx) => tx.appendHistoryBatch(runId, batch));
  }

  async readHistory(
    runId: string,
    opts?: { minStep?: number; maxStep?: number; limit?: number },
  ): Promise<HistoryRow[]> {
    return this.#read((db) => readHistoryRows(db, runId, opts));
  }

  async readPoints(query: PointQuery): Promise<Point[]> {
    return this.#read((db) => readPointRows(db, query));
  }

  async historyKeys(runId: string): Promise<HistoryKeyInfo[]> {
    return this.#read((db) => historyKeyRows(db, runId));
  }

  /** The runs' series changed: their cached series are recomputed at the next read. */
  #stampSeries(runs: ReadonlySet<string>): void {
    if (runs.size === 0) return;
    if (this.#seriesStamps.size + runs.size > MAX_STAMPED_RUNS) {
      this.#seriesStamps.clear();
      this.#stampEpoch++;
    }
    for (const id of runs) this.#seriesStamps.set(id, ++this.#lastStamp);
  }

  /**
   * Series, computed for the (run, key) pairs not in the cache: those of runs whose history this
   * process wrote since they were cached, and all after another process wrote.
   */
  async readSeries(query: SeriesQuery): Promise<Series[]> {
    checkSeriesQuery(query);
    await this.changeVersion(); // listening from now on: other processes' writes are counted
    const version = `${this.#changes.foreign}:${this.#stampEpoch}`;
    const cache = this.#seriesCache.at(version);
    // Taken before the read: a commit during it moves the run's stamp, so what it read is redone.
    const stamps = new Map(query.runIds.map((r) => [r, this.#seriesStamps.get(r) ?? 0]));
    const idOf = (runId: string, key: string) => SeriesCache.idOf(query, runId, key);
    const cached = (id: string, runId: string) => cache.get(id, stamps.get(runId)!);
    // Copies for a caller that may edit them; a read-only caller gets the cached objects.
    const copiesOf = query.readOnly
      ? (b: Series["buckets"] | undefined) => b
      : (b: Series["buckets"] | undefined) => b?.map(copyBucket);
    const missing = [
      ...new Set(query.runIds.filter((r) => query.keys.some((k) => !cached(idOf(r, k), r)))),
    ];
    if (missing.length > 0) {
      // A new listening connection: the database may have been replaced (restored, recreated).
      if (this.#chunkEpoch !== this.#changes.epoch) this.#chunkCache.clear();
      this.#chunkEpoch = this.#changes.epoch;
      const fresh = await this.#read((db) =>
        readSeriesRows(db, { ...query, runIds: missing }, this.#chunkCache),
      );
      // Kept only under the version read before: a later version drops them unread. What is
      // not kept (a live run's) is handed out as it is, what is kept as copies.
      const handOut = new Map<string, Series["buckets"]>();
      const keep = cache.stillAt(version);
      for (const s of fresh) {
        const id = idOf(s.runId, s.key);
        const kept = keep && cache.set(id, s.buckets, stamps.get(s.runId)!);
        handOut.set(id, kept ? copiesOf(s.buckets)! : s.buckets);
      }
      // A (run, key) asked twice gets its own copy the second time.
      const given = new Set<string>();
      return this.#seriesOf(query, (id, runId) => {
        const b = handOut.get(id);
        if (b === undefined) return copiesOf(cached(id, runId));
        if (!given.has(id)) return given.add(id) && b;
        return b.map(copyBucket);
      });
    }
    return this.#seriesOf(query, (id, runId) => copiesOf(cached(id, runId)));
  }

  /** One series per asked (run, key), in the order asked. */
  #seriesOf(
    q: SeriesQuery,
    bucketsOf: (id: string, runId: string) => Series["buckets"] | undefined,
  ): Series[] {
    return q.runIds.flatMap((runId) =>
      q.keys.map((key) => ({
        runId,
        key,
        buckets: bucketsOf(SeriesCache.idOf(q, runId, key), runId) ?? [],
      })),
    );
  }

  async appendSystem(runId: string, samples: readonly SystemSample[]): Promise<void> {
    await this.transaction((tx) => tx.appendSystem(runId, samples));
  }

  async appendConsole(runId: string, lines: readonly ConsoleLine[]): Promise<void> {
    await this.transaction((tx) => tx.appendConsole(runId, lines));
  }

  async readConsole(
    runId: string,
    opts?: { offset?: number; limit?: number },
  ): Promise<ConsoleLine[]> {
    return this.#read((db) => readConsoleRows(db, runId, opts));
  }

  async consoleCount(runId: string): Promise<number> {
    return this.#read((db) => consoleCountOf(db, runId));
  }

  async systemKeys(runId: string): Promise<string[]> {
    return this.#read((db) => systemKeyRows(db, runId));
  }

  /**
   * Running runs with a heartbeat older than `staleAfterMs` (any host: the only sign a remote
   * writer gives), or owned by a dead process of this host, are marked crashed.
   */
  async reapCrashed(staleAfterMs = 30_000): Promise<string[]> {
    const running = await this.#read((db) =>
      db.query<RunRecord & { heartbeat_at: number; owner_start: string | null }>(
        "SELECT id, pid::float8 AS pid, host, owner_start, heartbeat_at FROM runs WHERE state = 'running'",
      ),
    );
    const now = Date.now();
    const ids = running.rows
      .filter(
        (r) =>
          ownerDead({ pid: r.pid, host: r.host, ownerStart: r.owner_start }) ||
          now - r.heartbeat_at > staleAfterMs,
      )
      .map((r) => r.id);
    return this.#markCrashed(ids);
  }

  /** A number that changes when any process committed a write (LISTEN/NOTIFY; `changes.ts`). */
  changeVersion(): Promise<number> {
    this.#check();
    return this.#changes.version();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#notifier.close();
    await this.#changes.close();
    await Promise.all([this.#pool.end(), this.#readPool.end()]);
  }

  /**
   * Runs of this host (of `project` when given) whose owner process is gone (what `getRun`
   * checks one at a time).
   */
  async #reapDeadPids(project?: string): Promise<string[]> {
    const running = await this.#read((db) =>
      db.query<{ id: string; pid: number | null; host: string | null; owner_start: string | null }>(
        `SELECT id, pid::float8 AS pid, host, owner_start FROM runs
         WHERE state = 'running' AND host = $1${project === undefined ? "" : " AND project = $2"}`,
        project === undefined ? [hostname()] : [hostname(), project],
      ),
    );
    const dead = running.rows.filter((r) =>
      ownerDead({ pid: r.pid, host: r.host, ownerStart: r.owner_start }),
    );
    return this.#markCrashed(dead.map((r) => r.id));
  }

  /** Best effort, as in the SQLite store: readers call it, and a failed mark marks nothing. */
  async #markCrashed(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    try {
      return await this.transaction((tx) => (tx as PgTransaction).markCrashed(ids));
    } catch {
      return [];
    }
  }
}
