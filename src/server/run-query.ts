/** The runs query of `GET /api/runs` (filter, sort, paging), also accepted by `/api/series`. */

import * as v from "valibot";
import { checkRunFilter, parseRunPath } from "../store/run-record.js";
import type { RunFilter, RunQuery, RunState } from "../store/types.js";
import { invalid } from "./errors.js";
import { parseOr400 } from "./validator.js";

const STATES: readonly RunState[] = ["running", "finished", "failed", "crashed"];
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

function parseFilters(raw: string | undefined, prefix: string): RunFilter[] {
  if (raw === undefined || raw === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
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
    checked(() => checkRunFilter(filter), `${prefix}filter[${i}]`, o.field);
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
  const int = (name: string, def: number, max: number) => {
    const raw = p.get(name);
    if (raw === null || raw === "") return def;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0 || n > max) {
      throw invalid(
        `${prefix}${name}`,
        `must be an integer in 0..${max}, got ${JSON.stringify(raw)}`,
      );
    }
    return n;
  };
  const q: RunQuery = {
    limit: int("limit", 100, 10_000),
    offset: int("offset", 0, Number.MAX_SAFE_INTEGER),
  };
  const project = p.get("project");
  if (project) q.project = project;
  const state = p.get("state");
  if (state) {
    const states = state.split(",");
    for (const s of states) {
      if (!STATES.includes(s as RunState)) {
        throw invalid(
          `${prefix}state`,
          `must be among ${STATES.join(", ")}; got ${JSON.stringify(s)}`,
        );
      }
    }
    q.state = states as RunState[];
  }
  const group = p.get("group");
  if (group) q.group = group;
  const tags = p.getAll("tag");
  if (tags.length > 100) throw invalid(`${prefix}tag`, "at most 100 tags");
  if (tags.length) q.tags = tags;
  const search = p.get("q");
  if (search) q.search = search;
  const where = parseFilters(p.get("filter") ?? undefined, prefix);
  if (where.length) q.where = where;
  const sort = p.get("sort");
  if (sort) {
    checked(() => parseRunPath(sort.startsWith("-") ? sort.slice(1) : sort), `${prefix}sort`, sort);
    q.sort = sort;
  }
  return q;
}
