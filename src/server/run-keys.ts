/**
 * `POST /api/keys`: the history keys of many runs at once (the union, from the store's own
 * per-run key lists), each with how many of the runs logged it and whether any logged a finite
 * number, so the dashboard charts exactly the numeric keys of every selected run and says why
 * it leaves the others out.
 */
import type { Context, Hono } from "hono";
import * as v from "valibot";
import type { RunRecord, Store } from "../store/types.js";
import { grantOf, needAllProjects, needProject } from "./access.js";
import { invalid } from "./errors.js";
import { json } from "./read-routes.js";
import { runIdSchema } from "./request-schemas.js";
import { runQueryFromParams } from "./run-query.js";
import { jsonBody } from "./validator.js";

/** The most runs one request names (the runs list's own cap). */
const KEYS_RUNS_MAX = 10_000;

export const runKeysSchema = v.object({
  runsQuery: v.optional(v.string("must be a query string")),
  runs: v.optional(
    v.pipe(
      v.array(runIdSchema, "must be an array of strings"),
      v.maxLength(KEYS_RUNS_MAX, `at most ${KEYS_RUNS_MAX} entries`),
    ),
  ),
});

/** One key of the union. */
export interface UnionKey {
  key: string;
  /** How many of the runs logged it. */
  runs: number;
  /** Whether some run logged a finite number under it (else text, objects or only NaN). */
  numeric: boolean;
}

async function namedRuns(
  c: Context,
  store: Store,
  q: v.InferOutput<typeof runKeysSchema>,
): Promise<string[]> {
  if (q.runsQuery !== undefined) {
    if (q.runs !== undefined) throw invalid("runsQuery", "give runs or runsQuery, not both");
    const query = runQueryFromParams(new URLSearchParams(q.runsQuery), "runsQuery.");
    if (query.project === undefined) needAllProjects(c, "runsQuery.project");
    else needProject(c, query.project, "runsQuery.project");
    return (await store.listRuns(query)).runs.map((r: RunRecord) => r.id);
  }
  if (q.runs === undefined) throw invalid("runs", "must be an array of strings");
  if (grantOf(c)?.projects) {
    for (let i = 0; i < q.runs.length; i++) {
      const r = await store.getRun(q.runs[i]!);
      if (r) needProject(c, r.project, `runs[${i}]`);
    }
  }
  return q.runs;
}

/**
 * The union of the runs' history keys (`_`-prefixed W&B bookkeeping left out), sorted by
 * name: numeric keys first test one run at a time until one has a finite value.
 *
 * @example
 * ```ts
 * const keys = await unionKeys(store, ["r1", "r2"]); // [{ key: "loss", runs: 2, numeric: true }, ...]
 * ```
 */
export async function unionKeys(store: Store, ids: readonly string[]): Promise<UnionKey[]> {
  const holders = new Map<string, string[]>();
  for (const id of ids) {
    for (const k of await store.historyKeys(id)) {
      if (k.key.startsWith("_")) continue;
      const list = holders.get(k.key) ?? [];
      holders.set(k.key, list);
      list.push(id);
    }
  }
  const out: UnionKey[] = [];
  for (const [key, runs] of holders) {
    let numeric = false;
    // Batches: a numeric key is found in the first; a text key reads every holder once.
    for (let i = 0; i < runs.length && !numeric; i += 64) {
      const got = await store.readSeries({
        runIds: runs.slice(i, i + 64),
        keys: [key],
        x: "step",
        buckets: 1,
      });
      numeric = got.some((s) => s.buckets.some((b) => b.count > 0));
    }
    out.push({ key, runs: runs.length, numeric });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Registers `POST /api/keys` (docs/api.md). */
export function registerRunKeysRoute(app: Hono, store: Store): void {
  app.post("/api/keys", jsonBody(runKeysSchema), async (c) => {
    const ids = await namedRuns(c, store, c.req.valid("json"));
    return json(c, { keys: await unionKeys(store, ids) });
  });
}
