/** The runs query of `GET /api/runs` (filter, sort, paging), also accepted by `/api/series`. */

import * as v from "valibot";
import { decodeJson } from "../shared/json-numbers.js";
import { checkQueryFilter, parseRunPath, RUN_STATES } from "../store/run-record.js";
import type { RunFilter, RunQuery, RunState } from "../store/types.js";
import { invalid } from "./errors.js";
import { intQuery } from "./request-schemas.js";
import { parseOr400 } from "./validator.js";

const STATES: readonly RunState[] = RUN_STATES;
const OPS: Record<string, RunFilter["op"]> = {
  eq: "=",
  ne: "!=",
  lt: "<",
  le: "<=",
  gt: ">",
  ge: ">=",
  in: "in",
  contains: "contains",
};

const filtersSchema = v.pipe(
  v.array(
    v.object({
      field: v.pipe(
        v.string("must be a non-empty string"),
        v.minLength(1, "must be a non-empty string"),
      ),
      op: v.picklist(Object.keys(OPS), `must be one of ${Object.keys(OPS).join(", ")}`),
      value: v.unknown(),
    }),
    "must be a JSON array",
  ),
  v.maxLength(100, "at most 100 filters"),
);

/** A comma-separated list of run states. */
const stateList = v.pipe(
  v.string(),
  v.check(
    (s) => s.split(",").every((x) => STATES.includes(x as RunState)),
    (i) => {
      const bad = (i.input as string).split(",").find((x) => !STATES.includes(x as RunState));
      return `must be among ${STATES.join(", ")}; got ${JSON.stringify(bad)}`;
    },
  ),
);

/** The parameters of `GET /api/runs` (docs/api.md), one string each except `tag`. */
const runsQuerySchema = v.object({
  limit: intQuery(100, 10_000),
  offset: intQuery(0, Number.MAX_SAFE_INTEGER),
  project: v.optional(v.string()),
  state: v.optional(stateList),
  group: v.optional(v.string()),
  tag: v.pipe(v.array(v.string()), v.maxLength(100, "at most 100 tags")),
  q: v.optional(v.string()),
  filter: v.optional(v.string()),
  sort: v.optional(v.string()),
});

function parseFilters(raw: string | undefined, prefix: string): RunFilter[] {
  if (raw === undefined || raw === "") return [];
  let parsed: unknown;
  try {
    // NaN/±Infinity travel tagged by the one codec, so `cost = NaN` can be asked.
    parsed = decodeJson(raw);
  } catch {
    throw invalid(`${prefix}filter`, "must be a JSON array of {field, op, value}");
  }
  const filters = parseOr400(filtersSchema, parsed, () => `${prefix}filter`);
  return filters.map((o, i) => {
    const op = OPS[o.op];
    const value = o.value;
    const scalar = (x: unknown) => ["string", "number", "boolean"].includes(typeof x);
    if (
      op === "in"
        ? !Array.isArray(value) || !value.every(scalar)
        : !(value === null || scalar(value))
    ) {
      throw invalid(
        `${prefix}filter[${i}].value`,
        op === "in" ? "must be an array of strings/numbers/booleans" : "must be a scalar or null",
      );
    }
    if (op === "in" && (value as unknown[]).length > 1000) {
      throw invalid(`${prefix}filter[${i}].value`, "at most 1,000 values");
    }
    const filter: RunFilter = { path: o.field, op, value: value as RunFilter["value"] };
    checked(() => checkQueryFilter(filter), `${prefix}filter[${i}]`, o.field);
    return filter;
  });
}

/**
 * Runs the store's own check of a field path or filter, naming the parameter on failure (a
 * StoreError names no field). SQLite's JSON paths cannot hold every character: a quote,
 * backslash or NUL in a config/summary key made the query fail with a 500.
 */
function checked(check: () => unknown, field: string, path: string): void {
  try {
    check();
  } catch (e) {
    throw invalid(field, (e as Error).message);
  }
  if (/["\\]/.test(path) || path.includes("\u0000")) {
    throw invalid(field, "a field path cannot hold a quote, backslash or NUL");
  }
}

/**
 * A runs query from the parameters of `GET /api/runs` (docs/api.md). `prefix` names where they
 * came from in errors (`runsQuery.` when a series request carries them).
 */
export function runQueryFromParams(p: URLSearchParams, prefix = ""): RunQuery {
  // One value per parameter, as every query of the API takes (a null prototype: a parameter
  // may be called "constructor"); `tag` is the one that repeats.
  const given: Record<string, unknown> = Object.create(null);
  for (const [name, value] of p) {
    if (name in given && name !== "tag") {
      throw invalid(`${prefix}${name}`, `given ${p.getAll(name).length} times; give it once`);
    }
    given[name] = value;
  }
  given.tag = p.getAll("tag");
  const o = parseOr400(runsQuerySchema, given, () => prefix);
  const q: RunQuery = { limit: o.limit, offset: o.offset };
  if (o.project) q.project = o.project;
  if (o.state) q.state = o.state.split(",") as RunState[];
  if (o.group) q.group = o.group;
  if (o.tag.length) q.tags = o.tag;
  if (o.q) q.search = o.q;
  const where = parseFilters(o.filter, prefix);
  if (where.length) q.where = where;
  const sort = o.sort;
  if (sort) {
    checked(() => parseRunPath(sort.startsWith("-") ? sort.slice(1) : sort), `${prefix}sort`, sort);
    q.sort = sort;
  }
  return q;
}
