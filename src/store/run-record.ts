/**
 * Run-record logic that does not depend on where runs live, shared by every backend: a new
 * record's defaults, the checks a run query must pass (so that each backend refuses the same
 * bad queries with the same message), an owner-liveness test, and a run-query matcher over
 * records held in memory (the SQLite backend compiles the same checks to SQL instead).
 */
import { encodeJson } from "../shared/json-numbers.js";
import {
  type RunFilter,
  type RunInit,
  type RunPatch,
  type RunQuery,
  type RunRecord,
  type RunState,
  StoreError,
} from "./types.js";

// Owner liveness lives in owner.ts; re-exported here, where every backend already imports from.
export { isPidDead, ownerDead, processStartToken, type RunOwner } from "./owner.js";

/**
 * Every run state. Only `running` is live; the others are terminal (`pruned`: stopped early on
 * purpose by a pruner, Optuna's PRUNED, neither a success nor a failure).
 */
export const RUN_STATES: readonly RunState[] = [
  "running",
  "finished",
  "failed",
  "crashed",
  "pruned",
];

/** Top-level record fields usable in filters and sorts (tags, config and summary are not). */
export const RUN_FIELDS = [
  "id",
  "project",
  "entity",
  "group",
  "jobType",
  "name",
  "notes",
  "state",
  "exitCode",
  "createdAt",
  "heartbeatAt",
  "finishedAt",
  "pid",
  "host",
] as const;
export type RunField = (typeof RUN_FIELDS)[number];

/** A parsed filter or sort path: a top-level field, or keys inside config or summary. */
export type RunPath = { field: RunField } | { root: "config" | "summary"; keys: string[] };

/**
 * The record a just-created run has: no summary, no history, running. `stored` replaces the
 * parts a backend normalizes on the way in (tags and config read back from its encoding, a
 * default host).
 *
 * @example
 * ```ts
 * const rec = newRunRecord({ id: "r1", project: "p", name: "n", createdAt: Date.now() });
 * rec.state; // "running"
 * ```
 */
export function newRunRecord(
  run: RunInit,
  stored: Partial<Pick<RunRecord, "tags" | "config" | "host">> = {},
): RunRecord {
  return {
    id: run.id,
    project: run.project,
    entity: run.entity ?? null,
    group: run.group ?? null,
    jobType: run.jobType ?? null,
    name: run.name,
    notes: run.notes ?? null,
    tags: stored.tags ?? [...(run.tags ?? [])],
    config: stored.config ?? { ...(run.config ?? {}) },
    summary: {},
    state: "running",
    exitCode: null,
    createdAt: run.createdAt,
    heartbeatAt: run.createdAt,
    finishedAt: null,
    pid: run.pid ?? null,
    host: stored.host !== undefined ? stored.host : (run.host ?? null),
    ownerStart: run.ownerStart ?? null,
    nextStep: 0,
  };
}

/**
 * Applies a patch in place: each given field replaced by a copy, omitted ones kept. A new `pid`
 * without an `ownerStart` clears the old one (it named the old pid's process).
 */
export function applyRunPatch(rec: RunRecord, patch: RunPatch): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v !== undefined) (rec as unknown as Record<string, unknown>)[k] = structuredClone(v);
  }
  if (patch.pid !== undefined && patch.ownerStart === undefined) rec.ownerStart = null;
}

/** Parses a filter/sort path; throws StoreError("invalid") naming it when it is neither kind. */
export function parseRunPath(path: string): RunPath {
  if (typeof path === "string" && (RUN_FIELDS as readonly string[]).includes(path)) {
    return { field: path as RunField };
  }
  const m = typeof path === "string" ? /^(config|summary)\.(.+)$/.exec(path) : null;
  if (!m) throw new StoreError(`invalid field path ${JSON.stringify(path)}`, "invalid");
  return { root: m[1] as "config" | "summary", keys: m[2].split(".") };
}

const OPS: readonly RunFilter["op"][] = ["=", "!=", "<", "<=", ">", ">=", "contains", "in"];

/**
 * Whether `f` filters on the run's tags (path `tags`): `=` the run has the tag, `!=` it has
 * not, `contains` one of its tags contains the text, `in` it has one of the tags; `= null`
 * means no tags at all. A backend checks it with {@link checkTagFilter}, not
 * {@link checkRunFilter} (tags are a list, not a value with a path).
 */
export function isTagFilter(f: RunFilter): boolean {
  return f.path === "tags";
}

/** Checks a tag filter's op and value (see {@link isTagFilter}). */
export function checkTagFilter(f: RunFilter): void {
  const ok = (v: unknown) => typeof v === "string";
  if (
    f.op === "in"
      ? !Array.isArray(f.value) || !f.value.every(ok)
      : !["=", "!=", "contains"].includes(f.op)
  ) {
    throw new StoreError(
      `filter on tags: use = != contains or in with tag names (got op ${JSON.stringify(f.op)})`,
      "invalid",
    );
  }
  if (f.op !== "in" && !ok(f.value) && !(f.value === null && f.op !== "contains")) {
    throw new StoreError("filter on tags: the value must be a tag name", "invalid");
  }
}

/** Checks any filter of a run query: a tag filter, or one with a field path (returned). */
export function checkQueryFilter(f: RunFilter): RunPath | undefined {
  if (isTagFilter(f)) {
    checkTagFilter(f);
    return undefined;
  }
  return checkRunFilter(f);
}

/** Checks a filter's path, op and value shape; returns the parsed path. */
export function checkRunFilter(f: RunFilter): RunPath {
  const path = parseRunPath(f.path);
  if (!OPS.includes(f.op)) {
    throw new StoreError(`invalid filter op ${JSON.stringify(f.op)}`, "invalid");
  }
  if (f.op === "in") {
    const vals = f.value;
    if (!Array.isArray(vals) || vals.some((v) => v === null || typeof v === "object")) {
      throw new StoreError(
        `filter on ${f.path}: op in needs an array of strings, numbers or booleans`,
        "invalid",
      );
    }
  } else if (Array.isArray(f.value)) {
    throw new StoreError(`filter on ${f.path}: op ${f.op} needs a single value`, "invalid");
  } else if (f.value === null && f.op !== "=" && f.op !== "!=" && f.op !== "contains") {
    throw new StoreError(`filter on ${f.path}: op ${f.op} needs a non-null value`, "invalid");
  } else if (
    typeof f.value === "number" &&
    !Number.isFinite(f.value) &&
    f.op !== "=" &&
    f.op !== "!="
  ) {
    // Stored NaN/±Infinity are tagged JSON text: only (in)equality means something.
    throw new StoreError(`filter on ${f.path}: ${f.value} matches with = or != only`, "invalid");
  }
  return path;
}

/** The query's states as a list (undefined: any state); throws on an unknown one. */
export function queryStates(state: RunQuery["state"]): RunState[] | undefined {
  if (state === undefined) return undefined;
  const states = typeof state === "string" ? [state] : [...state];
  for (const s of states) {
    if (!RUN_STATES.includes(s))
      throw new StoreError(`invalid state ${JSON.stringify(s)}`, "invalid");
  }
  return states;
}

/** The lower-cased search text, or undefined when the query has none. */
export function querySearch(search: RunQuery["search"]): string | undefined {
  if (search === undefined || search === "") return undefined;
  if (typeof search !== "string") throw new StoreError("search must be a string", "invalid");
  return search.toLowerCase();
}

/** Parses `sort` (`-` prefix: descending); undefined means the default newest-first order. */
export function querySort(sort: RunQuery["sort"]): { path: RunPath; desc: boolean } | undefined {
  if (!sort) return undefined;
  const desc = sort.startsWith("-");
  return { path: parseRunPath(desc ? sort.slice(1) : sort), desc };
}

/** Throws unless limit and offset are absent or whole numbers >= 0. */
export function checkPaging(q: RunQuery): void {
  for (const [name, v] of [
    ["limit", q.limit],
    ["offset", q.offset],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
      throw new StoreError(`invalid ${name} ${v}`, "invalid");
    }
  }
}

// ---- the matcher over records in memory ----

/**
 * A value as SQLite's `json_extract` would see it, so that memory and SQLite filter and sort
 * alike: booleans are 1/0, objects and arrays JSON text, a missing value null. A non-finite
 * number is the tagged JSON text SQLite stores it as (`shared/json-numbers.ts`): it sorts after every
 * number, and no filter value equals it.
 */
type SqlValue = number | string | null;

function sqlValue(v: unknown): SqlValue {
  if (v === undefined || v === null) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return Number.isFinite(v) ? v : encodeJson(v);
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

function valueAt(rec: RunRecord, path: RunPath): SqlValue {
  if ("field" in path) return sqlValue(rec[path.field]);
  let v: unknown = rec[path.root];
  for (const k of path.keys) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
    v = (v as Record<string, unknown>)[k];
  }
  return sqlValue(v);
}

/** SQLite's order of non-null values: every number before every string. */
function compare(a: number | string, b: number | string): number {
  if (typeof a !== typeof b) return typeof a === "number" ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A tag filter's test (see {@link isTagFilter}). */
function matchTags(rec: RunRecord, f: RunFilter): boolean {
  if (f.op === "in") return rec.tags.some((t) => (f.value as readonly unknown[]).includes(t));
  if (f.op === "contains") return rec.tags.some((t) => t.includes(String(f.value)));
  const has = f.value === null ? rec.tags.length === 0 : rec.tags.includes(f.value as string);
  return f.op === "=" ? has : !has;
}

function matchFilter(rec: RunRecord, f: RunFilter, path: RunPath | undefined): boolean {
  if (!path) return matchTags(rec, f);
  const v = valueAt(rec, path);
  if (f.op === "in") {
    const vals = (f.value as readonly (string | number | boolean)[]).map(sqlValue);
    return v !== null && vals.some((x) => x !== null && compare(v, x) === 0);
  }
  const want = sqlValue(f.value);
  if (f.op === "contains") return v !== null && String(v).includes(String(f.value));
  if (want === null) return f.op === "=" ? v === null : v !== null;
  if (v === null) return false;
  const c = compare(v, want);
  switch (f.op) {
    case "=":
      return c === 0;
    case "!=":
      return c !== 0;
    case "<":
      return c < 0;
    case "<=":
      return c <= 0;
    case ">":
      return c > 0;
    default:
      return c >= 0;
  }
}

/**
 * Filters, sorts and pages records in memory with the checks and order of the SQLite backend
 * (default newest first; a sort puts missing values last; ties by id). Returns the records
 * themselves: callers that hand them out copy them.
 *
 * @example
 * ```ts
 * const { runs, total } = queryRunRecords(map.values(), { project: "p", sort: "-summary.acc" });
 * ```
 */
export function queryRunRecords(
  records: Iterable<RunRecord>,
  q: RunQuery = {},
): { runs: RunRecord[]; total: number } {
  const states = queryStates(q.state);
  const needle = querySearch(q.search);
  const filters = (q.where ?? []).map((f) => ({ f, path: checkQueryFilter(f) }));
  const sort = querySort(q.sort);
  checkPaging(q);
  const hit = (r: RunRecord) =>
    (q.project === undefined || r.project === q.project) &&
    (states === undefined || states.includes(r.state)) &&
    (q.group === undefined || r.group === q.group) &&
    (q.tags ?? []).every((t) => r.tags.includes(t)) &&
    (needle === undefined ||
      [r.id, r.name, r.notes ?? "", ...r.tags].some((s) => s.toLowerCase().includes(needle))) &&
    filters.every(({ f, path }) => matchFilter(r, f, path));
  const runs = [...records].filter(hit);
  const byId = (a: RunRecord, b: RunRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  if (sort) {
    const key = new Map(runs.map((r) => [r, valueAt(r, sort.path)]));
    runs.sort((a, b) => {
      const x = key.get(a)!;
      const y = key.get(b)!;
      if (x === null || y === null) return x === y ? byId(a, b) : x === null ? 1 : -1;
      return (sort.desc ? compare(y, x) : compare(x, y)) || byId(a, b);
    });
  } else {
    runs.sort((a, b) => b.createdAt - a.createdAt || byId(a, b));
  }
  const offset = q.offset ?? 0;
  return {
    runs: runs.slice(offset, q.limit === undefined ? undefined : offset + q.limit),
    total: runs.length,
  };
}
