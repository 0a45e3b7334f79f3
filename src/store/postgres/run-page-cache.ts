/**
 * Runs pages (`PostgresStore.listRuns`) kept per project while nothing in that project changed:
 * a dashboard re-reading the runs table of a finished sweep while other runs log elsewhere reads
 * no rows from PostgreSQL. Pages hold the rows as the database answered them; each read makes
 * fresh records from them, so a caller editing a record edits no cached page.
 *
 * When a page is dropped:
 * - this process committed a write to a run of its project (history moves `nextStep`, a patch
 *   the summary or heartbeat): `PgTransaction.runsWritten`. The project of a written run comes
 *   from the run's creation or from any page or look that showed it; a run whose project is not
 *   known drops every page. A page of all projects drops at any write.
 * - another process wrote (its NOTIFY moves the store's foreign counter, within ~50 ms, as for
 *   the series cache): every page.
 * - a page read while a write committed is not kept (the generation moved meanwhile).
 * Least recently used pages go past {@link MAX_PAGE_ROWS} rows.
 */
import { encodeJson } from "../../shared/json-numbers.js";
import type { RunQuery, RunRecord } from "../types.js";
import { type RunRow, recordOfKept } from "./runs.js";

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

export class RunPageCache {
  #version: string | undefined;
  /** Moves when every page is dropped; a project's own count when its pages are. */
  #generation = 0;
  readonly #projectGenerations = new Map<string, number>();
  readonly #pages = new Map<string, { project: string; page: RawPage }>();
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
   * What to hand back to {@link RunPageCache.set} with the page of `q` read from now on: a page
   * read across a drop of its project's pages is not kept.
   */
  token(q: RunQuery | undefined): string {
    return `${this.#generation}:${this.#projectGenerations.get(q?.project ?? ALL) ?? 0}`;
  }

  static keyOf(q: RunQuery | undefined): string {
    return encodeJson(q ?? {});
  }

  /** The page's records, fresh objects, when it is kept. */
  get(q: RunQuery | undefined): { runs: RunRecord[]; total: number } | undefined {
    const key = RunPageCache.keyOf(q);
    const e = this.#pages.get(key);
    if (!e) return undefined;
    this.#pages.delete(key);
    this.#pages.set(key, e);
    return { runs: e.page.rows.map(recordOfKept), total: e.page.total };
  }

  /** Keeps a page read since `token` was taken, unless its project's pages went meanwhile. */
  set(q: RunQuery | undefined, page: RawPage, token: string): void {
    this.learn(page.rows);
    if (token !== this.token(q) || page.rows.length > this.maxRows) return;
    const key = RunPageCache.keyOf(q);
    this.#drop(key);
    this.#pages.set(key, { project: q?.project ?? ALL, page });
    this.#rows += page.rows.length;
    for (const k of this.#pages.keys()) {
      if (this.#rows <= this.maxRows) break;
      this.#drop(k);
    }
  }

  /** Remembers the projects of these runs (rows of a page, or a run being created). */
  learn(rows: readonly { id: string; project: string }[]): void {
    if (this.#projectOf.size + rows.length > MAX_KNOWN_RUNS) this.#projectOf.clear();
    for (const r of rows) this.#projectOf.set(r.id, r.project);
  }

  /** This process wrote these runs (committed or maybe committed): their projects' pages go. */
  written(runs: ReadonlySet<string>): void {
    if (runs.size === 0) return;
    const projects = new Set<string>([ALL]);
    for (const id of runs) {
      const p = this.#projectOf.get(id);
      if (p === undefined) {
        this.#dropAll();
        return;
      }
      projects.add(p);
    }
    for (const p of projects) {
      this.#projectGenerations.set(p, (this.#projectGenerations.get(p) ?? 0) + 1);
    }
    for (const [k, e] of this.#pages) if (projects.has(e.project)) this.#drop(k);
  }

  /** Drops every page. */
  #dropAll(): void {
    this.#generation++;
    this.#projectGenerations.clear();
    for (const k of [...this.#pages.keys()]) this.#drop(k);
  }

  #drop(key: string): void {
    const e = this.#pages.get(key);
    if (!e) return;
    this.#pages.delete(key);
    this.#rows -= e.page.rows.length;
  }
}
