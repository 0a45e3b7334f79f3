/**
 * `POST /api/series/groups`: grouped charts over EVERY run of each group, in one request. The
 * server reads each run's last value per bucket of one common x grid (`group-reads.ts`: on
 * SQLite straight from the chunks, `last-grid.ts`; on any other store from `Store.readSeries`),
 * by step, time, time since start, or a logged metric (`group-x-metric.ts`), fills the gaps
 * inside a run's own range (so a run that logs less often still counts), and per bucket sends
 * the group's mean, std, min, max, a chosen percentile band, how many runs had a value, and
 * the NaN/±Infinity counts (`group-non-finite.ts`).
 */
import type { Context, Hono } from "hono";
import * as v from "valibot";
import { LIMITS } from "../protocol/batch.js";
import type {
  GroupSeries,
  GroupSeriesRequestBody,
  GroupSeriesResponse,
} from "../protocol/dashboard.js";
import type { LastGrid } from "../store/sqlite/last-grid.js";
import type { RunRecord, Store } from "../store/types.js";
import { grantOf, needAllProjects, needProject } from "./access.js";
import { invalid } from "./errors.js";
import { groupNonFinite } from "./group-non-finite.js";
import { commonRange, fillGaps, readGroupGrid } from "./group-reads.js";
import { type MetricGrid, metricGrid } from "./group-x-metric.js";
import { json } from "./read-routes.js";
import { runIdSchema } from "./request-schemas.js";
import { groupRuns } from "./run-groups.js";
import { registerRunKeysRoute } from "./run-keys.js";
import { runQueryFromParams } from "./run-query.js";
import { jsonBody } from "./validator.js";

/** The most runs one grouped request covers (the runs list's own cap). */
export const GROUP_RUNS_MAX = 10_000;
/** Buckets of a grouped chart at most. */
const GROUP_BUCKETS_MAX = 2_000;

const finite = v.pipe(v.number("must be a finite number"), v.finite("must be a finite number"));
const percent = v.pipe(
  finite,
  v.minValue(0, "must be in 0..100"),
  v.maxValue(100, "must be in 0..100"),
);

/** The request body (docs/api.md, "POST /api/series/groups"). */
export const groupSeriesSchema = v.object({
  runsQuery: v.optional(v.string("must be a query string")),
  runs: v.optional(
    v.pipe(
      v.array(runIdSchema, "must be an array of strings"),
      v.maxLength(GROUP_RUNS_MAX, `at most ${GROUP_RUNS_MAX} entries`),
    ),
  ),
  by: v.pipe(
    v.string("must be group, tags, config.<key> or summary.<key>"),
    v.regex(
      /^(group|tags|(config|summary)\..+)$/,
      "must be group, tags, config.<key> or summary.<key>",
    ),
  ),
  keys: v.pipe(
    v.array(v.string(), "must be an array of strings"),
    v.minLength(1, "name at least one key"),
    v.maxLength(LIMITS.seriesKeys, `at most ${LIMITS.seriesKeys} entries`),
  ),
  x: v.optional(
    v.picklist(["step", "time", "relative"], 'must be "step", "time" or "relative"'),
    "step",
  ),
  buckets: v.optional(
    v.pipe(
      v.number(`must be an integer in 1..${GROUP_BUCKETS_MAX}`),
      v.integer(`must be an integer in 1..${GROUP_BUCKETS_MAX}`),
      v.minValue(1, `must be an integer in 1..${GROUP_BUCKETS_MAX}`),
      v.maxValue(GROUP_BUCKETS_MAX, `must be an integer in 1..${GROUP_BUCKETS_MAX}`),
    ),
    200,
  ),
  xKey: v.optional(
    v.pipe(
      v.string("must be a history key"),
      v.minLength(1, "must be a history key"),
      v.maxLength(512, "at most 512 characters"),
    ),
  ),
  xMin: v.optional(finite),
  xMax: v.optional(finite),
  percentiles: v.optional(v.pipe(v.tuple([percent, percent], "must be [low, high]")), [25, 75]),
});

export type GroupSeriesRequest = v.InferOutput<typeof groupSeriesSchema>;
export type { GroupSeries, GroupSeriesResponse };

/** The runs a request names, as records (the grouping reads their config, tags, group). */
async function requestRuns(c: Context, store: Store, q: GroupSeriesRequest): Promise<RunRecord[]> {
  if (q.runsQuery !== undefined) {
    if (q.runs !== undefined) throw invalid("runsQuery", "give runs or runsQuery, not both");
    const query = runQueryFromParams(new URLSearchParams(q.runsQuery), "runsQuery.");
    if (query.project === undefined) needAllProjects(c, "runsQuery.project");
    else needProject(c, query.project, "runsQuery.project");
    return (await store.listRuns(query)).runs;
  }
  if (q.runs === undefined) throw invalid("runs", "must be an array of strings");
  const out: RunRecord[] = [];
  const limited = grantOf(c)?.projects;
  for (let i = 0; i < q.runs.length; i++) {
    const r = await store.getRun(q.runs[i]!);
    if (!r) continue;
    if (limited) needProject(c, r.project, `runs[${i}]`);
    out.push(r);
  }
  return out;
}

/** A run's row of the grid (NaN where it has no value) with the gaps inside its range filled. */
function filledRow(grid: LastGrid, row: number): Float64Array {
  const n = grid.buckets;
  return fillGaps(grid.last.slice(row * n, (row + 1) * n));
}

/** The p-th percentile of sorted values, linearly interpolated. */
function percentile(sorted: ArrayLike<number>, p: number): number {
  const at = ((sorted.length - 1) * p) / 100;
  const i = Math.floor(at);
  const f = at - i;
  return i + 1 < sorted.length ? sorted[i]! * (1 - f) + sorted[i + 1]! * f : sorted[i]!;
}

/** The group's statistics per bucket over its members' grid values. */
function aggregate(
  group: string,
  key: string,
  grids: readonly Float64Array[],
  lo: number,
  width: number,
  pct: readonly [number, number],
): GroupSeries {
  const s: GroupSeries = {
    group,
    key,
    x: [],
    mean: [],
    std: [],
    min: [],
    max: [],
    lo: [],
    hi: [],
    n: [],
  };
  const buckets = grids[0]?.length ?? 0;
  // One typed buffer for every bucket: its numeric sort beats a comparator's on 1,000 runs.
  const buf = new Float64Array(grids.length);
  for (let k = 0; k < buckets; k++) {
    let m = 0;
    for (const g of grids) {
      const val = g[k]!;
      if (!Number.isNaN(val)) buf[m++] = val;
    }
    if (m === 0) continue;
    const vals = buf.subarray(0, m).sort();
    let sum = 0;
    for (const val of vals) sum += val;
    const mean = sum / vals.length;
    let sq = 0;
    for (const val of vals) sq += (val - mean) ** 2;
    s.x.push(lo + k * width);
    s.mean.push(mean);
    s.std.push(Math.sqrt(sq / vals.length));
    s.min.push(vals[0]!);
    s.max.push(vals[vals.length - 1]!);
    s.lo.push(percentile(vals, pct[0]));
    s.hi.push(percentile(vals, pct[1]));
    s.n.push(vals.length);
  }
  return s;
}

/**
 * Computes the grouped series of a checked request over `runs` (the records it names).
 *
 * @example
 * ```ts
 * const body = await groupSeries(store, runs, { by: "config.opt", keys: ["loss"], x: "step", buckets: 200, percentiles: [25, 75] });
 * ```
 */
export async function groupSeries(
  store: Store,
  runs: readonly RunRecord[],
  q: Omit<GroupSeriesRequest, "runs" | "runsQuery">,
): Promise<GroupSeriesResponse> {
  const groups = groupRuns(runs, q.by);
  const out: GroupSeriesResponse = {
    groups: [...groups].map(([label, rs]) => ({ label, runs: rs.length })),
    series: [],
  };
  const lowPct = Math.min(q.percentiles[0], q.percentiles[1]);
  const highPct = Math.max(q.percentiles[0], q.percentiles[1]);
  for (const key of q.keys) {
    const onGrid: KeyGrid | undefined = q.xKey
      ? await metricGrid(store, runs, key, q.xKey, q)
      : await stepOrTimeGrid(store, runs, key, q);
    if (!onGrid) continue;
    const { lo, width, rows } = onGrid;
    for (const [label, members] of groups) {
      const grids = members.map((r) => rows.get(r.id)).filter((g) => g !== undefined);
      const agg = aggregate(label, key, grids, lo, width, [lowPct, highPct]);
      const nonFinite =
        onGrid.counts &&
        groupNonFinite(
          onGrid.counts,
          members.map((r) => onGrid.rowOf?.get(r.id)),
          lo,
          width,
        );
      if (nonFinite) agg.nonFinite = nonFinite;
      if (agg.x.length > 0 || nonFinite) out.series.push(agg);
    }
  }
  return out;
}

/** One key's rows on a common grid, and the runs' non-finite counts on it. */
type KeyGrid = MetricGrid;

/**
 * Each run's values of `key` on the common step or time grid, gaps filled, and the runs'
 * NaN/±Infinity counts per bucket; undefined when no run has the key.
 */
async function stepOrTimeGrid(
  store: Store,
  runs: readonly RunRecord[],
  key: string,
  q: Pick<GroupSeriesRequest, "x" | "xMin" | "xMax" | "buckets">,
): Promise<KeyGrid | undefined> {
  const range = await commonRange(store, runs, key, q);
  if (!range) return undefined;
  const [lo, hi] = range;
  const buckets = hi > lo ? q.buckets : 1;
  const got = await readGroupGrid(store, runs, key, q.x, { lo, hi, buckets });
  return {
    lo,
    width: (hi - lo) / buckets,
    rows: new Map(got.runIds.map((id, row) => [id, filledRow(got, row)])),
    counts: got,
    rowOf: new Map(got.runIds.map((id, row) => [id, row])),
  };
}

/** What a grouped response depends on: its runs (in order) and the request's shape. */
function cacheId(runs: readonly RunRecord[], q: GroupSeriesRequest): string {
  const { runs: _ids, runsQuery: _query, ...shape } = q;
  return `${JSON.stringify(shape)}\u0000${runs.map((r) => r.id).join("\u0000")}`;
}

/**
 * The last few grouped responses, valid while the store's `changeVersion` stays the same: a
 * reload of a finished sweep's grouped charts (1,000 runs) is then served from memory. A store
 * without `changeVersion` is never cached.
 */
class GroupCache {
  private readonly entries = new Map<string, { version: number; body: GroupSeriesResponse }>();

  get(id: string, version: number): GroupSeriesResponse | undefined {
    const e = this.entries.get(id);
    if (!e || e.version !== version) return undefined;
    // Most recently used last.
    this.entries.delete(id);
    this.entries.set(id, e);
    return e.body;
  }

  set(id: string, version: number, body: GroupSeriesResponse): void {
    this.entries.delete(id);
    this.entries.set(id, { version, body });
    while (this.entries.size > 16) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * Registers the dashboard's many-run reads (docs/api.md): `POST /api/series/groups`, and
 * `POST /api/keys` (`run-keys.ts`).
 */
export function registerGroupSeriesRoute(app: Hono, store: Store): void {
  registerRunKeysRoute(app, store);
  const cache = new GroupCache();
  app.post("/api/series/groups", jsonBody(groupSeriesSchema), async (c) => {
    // Typed as the wire's request too: a schema that drifts from src/protocol/ fails to build.
    const q: GroupSeriesRequest & GroupSeriesRequestBody = c.req.valid("json");
    const t0 = performance.now();
    if (q.xKey !== undefined && q.x !== "step") throw invalid("xKey", 'needs x "step"');
    const runs = await requestRuns(c, store, q);
    const version = await store.changeVersion?.();
    const id = cacheId(runs, q);
    let body = version === undefined ? undefined : cache.get(id, version);
    if (!body) {
      body = await groupSeries(store, runs, q);
      if (version !== undefined) cache.set(id, version, body);
    }
    const res = json(c, body);
    res.headers.set("server-timing", `app;dur=${(performance.now() - t0).toFixed(1)}`);
    return res;
  });
}
