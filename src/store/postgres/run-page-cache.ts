/**
 * Runs pages (`PostgresStore.listRuns`) kept per project while nothing in that project changed:
 * a dashboard re-reading the runs table of a finished sweep while other runs log elsewhere reads
 * no rows from PostgreSQL. Pages hold the rows as the database answered them; each read makes
 * fresh records from them, so a caller editing a record edits no cached page. A page's ids alone
 * (`listRunIds`: the runs of a live chart) are kept longer: they stay while the writes to the
 * project cannot move them (a history write changes only `next_step`, a tracker's flush only the
 * summary and heartbeat, which move the ids only of a query that filters or sorts on them).
 *
 * When a page is dropped:
 * - this process committed a write to a run of its project (`PgTransaction.runsWritten`, with how
 *   it wrote it). The project of a written run comes from the run's creation or from any page
 *   that showed it; a run whose project is not known drops every page. A page of all projects
 *   counts as a project every write touches.
 * - another process wrote (its NOTIFY moves the store's foreign counter, within ~50 ms, as for
 *   the series cache): every page.
 * - a page read while a write that drops it committed is not kept (its token moved meanwhile).
 * Least recently used pages go past {@link MAX_PAGE_ROWS} rows.
 */
import { encodeJson } from "../../shared/json-numbers.js";
import type { RunQuery, RunRecord } from "../types.js";
import { type RunRow, recordOfKept } from "./runs.js";
import type { RowWrite } from "./transaction.js";

/** Rows all kept pages hold at most (a 100-run page is ~100 rows of config and summary text). */
const MAX_PAGE_ROWS = 20_000;

/** Runs whose project is remembered; past it they are forgotten (then writes drop every page). */
const MAX_KNOWN_RUNS = 100_000;

/** A page's rows and the query's total, as read. */
export interface RawPage {
  rows: RunRow[];
  total: number;
}

/** The key of pages of every project. */
const ALL = "\u0000all";

interface Kept {
  project: string;
  /** A whole page; or only its ids, with whether a flush can move them. */
  page?: RawPage;
  ids?: string[];
  flushMoves?: boolean;
  size: number;
}

/** Whether a tracker's flush (summary, heartbeat) can change which runs `q`'s page holds. */
function flushMoves(q: RunQuery | undefined): boolean {
  const refs = `${encodeJson(q?.where ?? [])} ${q?.sort ?? ""}`;
  return refs.includes("summary") || refs.includes("heartbeat");
}

export class RunPageCache {
  #version: string | undefined;
  /** Moves when every page is dropped; per project, a count per kind of write (`any` too). */
  #generation = 0;
  readonly #writes = new Map<string, number>();
  readonly #pages = new Map<string, Kept>();
  #rows = 0;
  readonly #projectOf = new Map<string, string>();

  constructor(private readonly maxRows = MAX_PAGE_ROWS) {}

  /** Drops every page when `version` (other processes' writes) moved. */
  at(version: string): this {
    if (version !== this.#version) {
      this.#version = version;
      this.#dropAll();
    }
    return this;
  }

  /**
   * What to hand back to `set`/`setIds` with the page of `q` read from now on: a page read
   * across a write that drops it is not kept.
   */
  token(q: RunQuery | undefined, ids = false): string {
    const p = q?.project ?? ALL;
    const count = (kind: string) => this.#writes.get(`${p}\u0000${kind}`) ?? 0;
    if (!ids) return `${this.#generation}:${count("any")}`;
    return `${this.#generation}:${count("other")}:${flushMoves(q) ? count("flush") : ""}`;
  }

  /** The page's records, fresh objects, when it is kept. */
  get(q: RunQuery | undefined): { runs: RunRecord[]; total: number } | undefined {
    const page = this.#touch(`p${encodeJson(q ?? {})}`)?.page;
    return page && { runs: page.rows.map(recordOfKept), total: page.total };
  }

  /** The page's ids (a copy) when they are kept. */
  getIds(q: RunQuery | undefined): string[] | undefined {
    return this.#touch(`i${encodeJson(q ?? {})}`)?.ids?.slice();
  }

  /** Keeps a page read since `token` was taken, unless it was dropped meanwhile. */
  set(q: RunQuery | undefined, page: RawPage, token: string): void {
    this.learn(page.rows);
    if (token !== this.token(q)) return;
    this.#keep(`p${encodeJson(q ?? {})}`, {
      project: q?.project ?? ALL,
      page,
      size: page.rows.length,
    });
  }

  /** Keeps a page's ids read since `token` (`token(q, true)`) was taken. */
  setIds(q: RunQuery | undefined, page: RawPage, token: string): void {
    this.learn(page.rows);
    if (token !== this.token(q, true)) return;
    this.#keep(`i${encodeJson(q ?? {})}`, {
      project: q?.project ?? ALL,
      ids: page.rows.map((r) => r.id),
      flushMoves: flushMoves(q),
      size: 1 + page.rows.length / 16,
    });
  }

  /** Remembers the projects of these runs (rows of a page, or a run being created). */
  learn(rows: readonly { id: string; project: string }[]): void {
    if (this.#projectOf.size + rows.length > MAX_KNOWN_RUNS) this.#projectOf.clear();
    for (const r of rows) this.#projectOf.set(r.id, r.project);
  }

  /** This process wrote these runs (committed or maybe committed): the pages they move go. */
  written(runs: ReadonlyMap<string, RowWrite>): void {
    if (runs.size === 0) return;
    const hows = new Map<string, Set<RowWrite>>([[ALL, new Set()]]);
    for (const [id, how] of runs) {
      const p = this.#projectOf.get(id);
      if (p === undefined) {
        this.#dropAll();
        return;
      }
      if (!hows.has(p)) hows.set(p, new Set());
      hows.get(p)!.add(how);
      hows.get(ALL)!.add(how);
    }
    for (const [p, set] of hows) {
      for (const kind of ["any", ...set]) {
        const k = `${p}\u0000${kind}`;
        this.#writes.set(k, (this.#writes.get(k) ?? 0) + 1);
      }
    }
    for (const [key, e] of this.#pages) {
      const set = hows.get(e.project);
      if (!set) continue;
      if (e.page || set.has("other") || (e.flushMoves && set.has("flush"))) this.#drop(key);
    }
  }

  #touch(key: string): Kept | undefined {
    const e = this.#pages.get(key);
    if (e) {
      this.#pages.delete(key);
      this.#pages.set(key, e);
    }
    return e;
  }

  #keep(key: string, e: Kept): void {
    if (e.size > this.maxRows) return;
    this.#drop(key);
    this.#pages.set(key, e);
    this.#rows += e.size;
    for (const k of this.#pages.keys()) {
      if (this.#rows <= this.maxRows) break;
      this.#drop(k);
    }
  }

  #dropAll(): void {
    this.#generation++;
    this.#writes.clear();
    for (const k of [...this.#pages.keys()]) this.#drop(k);
  }

  #drop(key: string): void {
    const e = this.#pages.get(key);
    if (!e) return;
    this.#pages.delete(key);
    this.#rows -= e.size;
  }
}
