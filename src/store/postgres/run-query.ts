/**
 * `listRuns` in SQL, with the SQLite store's semantics (its `json_extract` comparisons, which
 * the in-memory matcher of `run-record.ts` copies): a config or summary value is a number
 * (booleans as 1/0) or a text (strings; objects and arrays as JSON text), numbers order before
 * texts, a missing value or JSON null is NULL and sorts last. Texts compare bytewise (`"C"`).
 */
import { encodeJson } from "../../shared/json-numbers.js";
import {
  checkPaging,
  checkRunFilter,
  checkTagFilter,
  isTagFilter,
  querySearch,
  querySort,
  queryStates,
  type RunField,
  type RunPath,
} from "../run-record.js";
import type { ProjectInfo, RunFilter, RunQuery, RunRecord } from "../types.js";
import { type Queryable, RUN_COLUMNS, type RunRow, toRecord } from "./runs.js";

const COLUMNS: Record<RunField, { sql: string; numeric: boolean }> = {
  id: { sql: "r.id", numeric: false },
  project: { sql: "r.project", numeric: false },
  entity: { sql: "r.entity", numeric: false },
  group: { sql: "r.grp", numeric: false },
  jobType: { sql: "r.job_type", numeric: false },
  name: { sql: "r.name", numeric: false },
  notes: { sql: "r.notes", numeric: false },
  state: { sql: "r.state", numeric: false },
  exitCode: { sql: "r.exit_code", numeric: true },
  createdAt: { sql: "r.created_at", numeric: true },
  heartbeatAt: { sql: "r.heartbeat_at", numeric: true },
  finishedAt: { sql: "r.finished_at", numeric: true },
  pid: { sql: "r.pid", numeric: true },
  host: { sql: "r.host", numeric: false },
};

/** Query arguments, numbered as they are added, and the per-row joins the expressions use. */
class Args {
  readonly values: unknown[] = [];
  /** `LEFT JOIN LATERAL` clauses, one per config/summary path compared or sorted on. */
  readonly joins: string[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** A value as two SQL expressions: its number (or NULL) and its text (or NULL). */
interface Typed {
  num: string;
  txt: string;
}

/** The `jsonb` (or `json`) value at a config/summary path. */
function jsonAt(
  path: Extract<RunPath, { root: string }>,
  args: Args,
  type: "jsonb" | "json" = "jsonb",
): string {
  // jsonb refuses the escape of U+0000 that JSON text may hold (json's text extraction too);
  // read it as U+FFFD instead.
  return `(replace(r.${path.root}, '\\u0000', '\\ufffd')::${type} #> ${args.add(path.keys)}::text[])`;
}

/**
 * A path's number and text. A config/summary path is a lateral join that parses the row's JSON
 * once: written inline, the sort keys and filters repeat the expression and PostgreSQL parses
 * the text again for each use (measured: ~8 parses a row, 40 ms for a 1,000-run sorted page).
 * `OFFSET 0` keeps the planner from pulling the subquery up into those repeats. The path is
 * read as `json`, not `jsonb`: `json #>` scans the text for the one value (2.6x faster than
 * building the whole document as jsonb, measured on 1,000 summaries), and keeps duplicate keys'
 * last value as jsonb does; an object or array compares as its stored (compact) text.
 */
function typedPath(path: RunPath, args: Args): Typed {
  if ("field" in path) {
    const c = COLUMNS[path.field];
    return c.numeric
      ? { num: `${c.sql}::float8`, txt: "NULL::text" }
      : { num: "NULL::float8", txt: c.sql };
  }
  const e = jsonAt(path, args, "json");
  const alias = `p${args.joins.length}`;
  args.joins.push(
    ` LEFT JOIN LATERAL (SELECT
      (CASE json_typeof(j.e) WHEN 'number' THEN (j.e #>> '{}')::float8
        WHEN 'boolean' THEN (CASE WHEN j.e::text = 'true' THEN 1 ELSE 0 END)::float8 END) AS num,
      (CASE json_typeof(j.e) WHEN 'string' THEN j.e #>> '{}'
        WHEN 'object' THEN j.e::text WHEN 'array' THEN j.e::text END) AS txt
      FROM (SELECT ${e} AS e OFFSET 0) j) ${alias} ON TRUE`,
  );
  return { num: `${alias}.num`, txt: `${alias}.txt` };
}

type Scalar = string | number | boolean;

function scalar(v: Scalar): number | string {
  return typeof v === "boolean" ? (v ? 1 : 0) : v;
}

/** `e op v` as SQLite compares a json_extract value with a bound value. */
function compareSql(t: Typed, op: RunFilter["op"], v: number | string, args: Args): string {
  const notNull = `(${t.num} IS NOT NULL OR ${t.txt} IS NOT NULL)`;
  if (typeof v === "number") {
    const p = `${args.add(v)}::float8`;
    switch (op) {
      case "=":
        return `${t.num} = ${p}`;
      case "!=":
        return `(${notNull} AND (${t.num} IS NULL OR ${t.num} <> ${p}))`;
      case "<":
      case "<=":
        return `${t.num} ${op} ${p}`;
      default:
        // Every text is greater than every number.
        return `(${t.num} ${op} ${p} OR ${t.txt} IS NOT NULL)`;
    }
  }
  const p = `${args.add(v)}::text COLLATE "C"`;
  const txt = `${t.txt} COLLATE "C"`;
  switch (op) {
    case "=":
      return `${txt} = ${p}`;
    case "!=":
      return `(${notNull} AND (${t.txt} IS NULL OR ${txt} <> ${p}))`;
    case "<":
    case "<=":
      return `(${t.num} IS NOT NULL OR ${txt} ${op} ${p})`;
    default:
      return `${txt} ${op} ${p}`;
  }
}

/** A filter on tags, as `run-record.ts`'s `isTagFilter` defines it (tags are a `text[]`). */
function tagFilterSql(f: RunFilter, args: Args): string {
  checkTagFilter(f);
  if (f.op === "in") {
    const vals = f.value as readonly string[];
    return vals.length === 0 ? "FALSE" : `r.tags && ${args.add([...vals])}::text[]`;
  }
  if (f.op === "contains") {
    return `EXISTS (SELECT 1 FROM unnest(r.tags) t WHERE strpos(t, ${args.add(String(f.value))}) > 0)`;
  }
  if (f.value === null) return f.op === "=" ? "cardinality(r.tags) = 0" : "cardinality(r.tags) > 0";
  const has = `${args.add(f.value)}::text = ANY(r.tags)`;
  return f.op === "=" ? has : `NOT (${has})`;
}

/**
 * `= NaN`/`!= Infinity`...: a stored NaN/±Infinity is the codec's tagged object, so it is
 * compared as jsonb (its text form in PostgreSQL differs from SQLite's compact text).
 */
function nonFiniteSql(path: RunPath, f: RunFilter, args: Args): string {
  if ("field" in path) return f.op === "=" ? "FALSE" : `${COLUMNS[path.field].sql} IS NOT NULL`;
  const e = jsonAt(path, args);
  const same = `${e} = ${args.add(encodeJson(f.value))}::jsonb`;
  return f.op === "="
    ? same
    : `(${e} IS NOT NULL AND jsonb_typeof(${e}) <> 'null' AND NOT (${same}))`;
}

function filterSql(f: RunFilter, args: Args): string {
  if (isTagFilter(f)) return tagFilterSql(f, args);
  const path = checkRunFilter(f);
  if (typeof f.value === "number" && !Number.isFinite(f.value)) return nonFiniteSql(path, f, args);
  // Before the path's own argument is added: an unused argument has no type PostgreSQL can infer.
  if (f.op === "in" && (f.value as readonly Scalar[]).length === 0) return "FALSE";
  const t = typedPath(path, args);
  if (f.op === "in") {
    const vals = f.value as readonly Scalar[];
    return `(${vals.map((v) => compareSql(t, "=", scalar(v), args)).join(" OR ")})`;
  }
  if (f.op === "contains") {
    // SQLite's CAST(... AS TEXT) of a number is its shortest form; PostgreSQL's float8 text too.
    return `strpos(COALESCE(${t.txt}, ${t.num}::text), ${args.add(String(f.value))}) > 0`;
  }
  if (f.value === null) {
    return `(${t.num} IS NULL AND ${t.txt} IS NULL) = ${f.op === "=" ? "TRUE" : "FALSE"}`;
  }
  return compareSql(t, f.op, scalar(f.value as Scalar), args);
}

function whereSql(q: RunQuery, args: Args): string {
  const where: string[] = [];
  if (q.project !== undefined) where.push(`r.project = ${args.add(q.project)}`);
  const states = queryStates(q.state);
  if (states !== undefined) where.push(`r.state = ANY(${args.add(states)}::text[])`);
  if (q.group !== undefined) where.push(`r.grp = ${args.add(q.group)}`);
  if (q.tags !== undefined && q.tags.length > 0) {
    where.push(`r.tags @> ${args.add([...q.tags])}::text[]`);
  }
  const needle = querySearch(q.search);
  if (needle !== undefined) {
    const p = args.add(needle);
    where.push(
      `(strpos(lower(r.id), ${p}) > 0 OR strpos(lower(r.name), ${p}) > 0
        OR strpos(lower(COALESCE(r.notes, '')), ${p}) > 0
        OR EXISTS (SELECT 1 FROM unnest(r.tags) AS tag WHERE strpos(lower(tag), ${p}) > 0))`,
    );
  }
  for (const f of q.where ?? []) where.push(filterSql(f, args));
  return where.length ? ` WHERE ${where.join(" AND ")}` : "";
}

/** One ORDER BY term: an expression (with its collation) and its direction. */
interface SortTerm {
  expr: string;
  dir: "ASC" | "DESC";
}

function orderTerms(q: RunQuery, args: Args): SortTerm[] {
  const sort = querySort(q.sort);
  if (!sort) {
    return [
      { expr: "r.created_at", dir: "DESC" },
      { expr: 'r.id COLLATE "C"', dir: "ASC" },
    ];
  }
  const t = typedPath(sort.path, args);
  const dir = sort.desc ? "DESC" : "ASC";
  // Missing last; then numbers before texts (reversed when descending), as SQLite orders them.
  return [
    { expr: `(${t.num} IS NULL AND ${t.txt} IS NULL)`, dir: "ASC" },
    { expr: `(${t.num} IS NULL)`, dir },
    { expr: t.num, dir },
    { expr: `${t.txt} COLLATE "C"`, dir },
    { expr: 'r.id COLLATE "C"', dir: "ASC" },
  ];
}

/**
 * The page's statement. The filter, the sort and the total run over narrow rows (the id and the
 * sort keys), and only the page's rows are read whole: a window count over the whole rows made
 * PostgreSQL carry every filtered run's config and summary through the sort (measured on a
 * 1,000-run page sorted by a summary value: ~1 ms of its ~4 ms).
 */
function pageSql(q: RunQuery, args: Args, where: string): string {
  const terms = orderTerms(q, args);
  const joins = args.joins.join("");
  checkPaging(q);
  const limit = q.limit === undefined ? "" : ` LIMIT ${args.add(q.limit)}`;
  const offset = ` OFFSET ${args.add(q.offset ?? 0)}`;
  const keys = terms.map((t, i) => `${t.expr} AS o${i}`).join(", ");
  const inner = terms.map((t) => `${t.expr} ${t.dir}`).join(", ");
  const outer = terms.map((t, i) => `page.o${i} ${t.dir}`).join(", ");
  return `WITH page AS MATERIALIZED (
      SELECT r.id, ${keys}, count(*) OVER () AS total FROM runs r${joins}${where}
      ORDER BY ${inner}${limit}${offset})
    SELECT ${RUN_COLUMNS}, page.total FROM page JOIN runs r ON r.id = page.id ORDER BY ${outer}`;
}

export async function queryRunRows(
  db: Queryable,
  q: RunQuery = {},
): Promise<{ runs: RunRecord[]; total: number }> {
  const page = await queryRunPage(db, q);
  return { runs: page.rows.map(toRecord), total: page.total };
}

/** {@link queryRunRows} as the database answers it: the page's rows and the total. */
export async function queryRunPage(
  db: Queryable,
  q: RunQuery = {},
): Promise<{ rows: RunRow[]; total: number }> {
  const args = new Args();
  const where = whereSql(q, args);
  const whereArgs = args.values.length;
  const whereJoins = args.joins.join("");
  // One statement: the page and the total (a window count over the filtered rows).
  const r = await db.query<RunRow & { total: string }>(pageSql(q, args, where), args.values);
  let total = r.rows.length > 0 ? Number(r.rows[0]!.total) : 0;
  if (r.rows.length === 0 && (q.offset ?? 0) > 0) {
    // Past the last page: the window saw no row, so count apart.
    const c = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM runs r${whereJoins}${where}`,
      args.values.slice(0, whereArgs),
    );
    total = c.rows[0]!.n;
  }
  return { rows: r.rows, total };
}

export async function projectRows(db: Queryable): Promise<ProjectInfo[]> {
  const r = await db.query<ProjectInfo>(
    `SELECT project, count(*)::int AS "runCount",
       count(*) FILTER (WHERE state = 'running')::int AS "runningCount",
       max(created_at) AS "lastCreatedAt",
       GREATEST(max(created_at), max(heartbeat_at), COALESCE(max(finished_at), 0)) AS "lastActivityAt"
     FROM runs GROUP BY project ORDER BY "lastCreatedAt" DESC`,
  );
  return r.rows;
}
