/** Read endpoints: projects, runs (filter/sort/page), one run, keys, raw points, series, system, console. */
import type { Context, Hono } from "hono";
import type * as v from "valibot";
import { LIMITS } from "../protocol/batch.js";
import { encodeJson } from "../shared/json-numbers.js";
import type { RunQuery, RunRecord, Series, Store } from "../store/types.js";
import { grantOf, needAllProjects, needProject } from "./access.js";
import { allowsProject } from "./auth.js";
import { ApiError, invalid } from "./errors.js";
import {
  consoleQuerySchema,
  historyQuerySchema,
  runIdSchema,
  SERIES_FIELDS,
  seriesSchema,
  systemQuerySchema,
} from "./request-schemas.js";
import { runQueryFromParams } from "./run-query.js";
import { type ColumnarSeries, numbersJson, SeriesJsonMemo, seriesJson } from "./series-json.js";
import { jsonBody, parseOr400, query } from "./validator.js";

/** A JSON response that keeps NaN/±Infinity (tagged, see docs/api.md). */
export function json(c: Context, body: unknown, status: 200 | 201 = 200): Response {
  return c.body(encodeJson(body), status, { "content-type": "application/json; charset=utf-8" });
}

/**
 * `Server-Timing` of a read: the handler's own time (query and encoding), which the browser's
 * Resource Timing shows next to the request's wait, so the dashboard bench can tell time spent
 * working from time spent queued behind other requests on this single-threaded server.
 */
function serverTiming(t0: number): string {
  return `app;dur=${(performance.now() - t0).toFixed(1)}`;
}

/** The API's view of a run: the store record plus `updatedAt` (last sign of life). */
export function apiRun(r: RunRecord): RunRecord & { updatedAt: number } {
  return { ...r, updatedAt: Math.max(r.createdAt, r.heartbeatAt, r.finishedAt ?? 0) };
}

/** The run `id` names, when it exists and the request's key may see its project. */
async function needRun(c: Context, store: Store, id: string): Promise<RunRecord> {
  parseOr400(runIdSchema, id, () => "id");
  const r = await store.getRun(id);
  if (!r) throw new ApiError(404, "not_found", `unknown run id ${JSON.stringify(id)}`, "id");
  needProject(c, r.project, "id");
  return r;
}

/** A runs query of a project-limited key must name one of its projects. */
function needQueryProject(c: Context, q: RunQuery, field: string): void {
  if (q.project === undefined) needAllProjects(c, field);
  else needProject(c, q.project, field);
}

export { SERIES_FIELDS };
export type SeriesField = (typeof SERIES_FIELDS)[number];

export interface SeriesRequest {
  runs: string[];
  keys: string[];
  x: "step" | "time" | "relative";
  buckets: number;
  xMin?: number;
  xMax?: number;
  source: "history" | "system";
  /** Columns to send besides `x` (default all): a chart of many runs draws only `last`. */
  fields?: SeriesField[];
  /**
   * Instead of `runs`: the runs a `GET /api/runs` query string names (its first `limit`), so
   * a page can ask for its default charts at the same time as for its runs table.
   */
  runsQuery?: RunQuery;
}

/** A series request from its checked body: the rules that tie its fields together. */
export function seriesRequest(o: v.InferOutput<typeof seriesSchema>): SeriesRequest {
  const { runsQuery: rawQuery, runs, fields, ...rest } = o;
  let runsQuery: RunQuery | undefined;
  if (rawQuery !== undefined) {
    if (runs !== undefined) throw invalid("runsQuery", "give runs or runsQuery, not both");
    runsQuery = runQueryFromParams(new URLSearchParams(rawQuery), "runsQuery.");
    if ((runsQuery.limit ?? 100) > LIMITS.seriesRuns) {
      throw invalid("runsQuery.limit", `at most ${LIMITS.seriesRuns} runs`);
    }
  } else if (runs === undefined) {
    throw invalid("runs", "must be an array of strings");
  }
  if (rest.source === "system" && rest.x === "step") {
    throw invalid("x", "system metrics have no step");
  }
  return {
    ...rest,
    runs: runs ?? [],
    ...(fields ? { fields } : {}),
    ...(runsQuery ? { runsQuery } : {}),
  };
}

type Columnar = ColumnarSeries;

/**
 * One series as columns: `x` in the API's unit, and only the bucket columns asked for. The
 * columns describe finite values, so buckets of only NaN/±Infinity are left out of them; the
 * non-finite counts go apart, sparse (most series have none).
 */
function columnar(s: Series, scale: number, offset: number, fields: readonly SeriesField[]) {
  let b = s.buckets;
  let odd: Series["buckets"] | undefined;
  for (const p of b) {
    if (p.nonFinite) {
      odd = b.filter((q) => q.nonFinite);
      b = b.filter((q) => q.count > 0);
      break;
    }
  }
  const out: Columnar = { run: s.runId, key: s.key, x: b.map((p) => p.x * scale - offset) };
  for (const f of fields) {
    if (f !== "nonFinite") out[f] = b.map((p) => p[f]);
    else if (odd) {
      out.nonFinite = {
        x: odd.map((p) => p.x * scale - offset),
        nan: odd.map((p) => p.nonFinite!.nan),
        posInf: odd.map((p) => p.nonFinite!.posInf),
        negInf: odd.map((p) => p.nonFinite!.negInf),
      };
    }
  }
  return out;
}

/** Runs a series request against the store; time in the API is epoch ms, in the store seconds. */
export async function readSeries(store: Store, q: SeriesRequest): Promise<Columnar[]> {
  // Read-only: the buckets are only turned into columns, so a store may skip its copies.
  const base = { keys: q.keys, buckets: q.buckets, source: q.source, readOnly: true } as const;
  const fields = q.fields ?? SERIES_FIELDS;
  if (q.x === "step") {
    const got = await store.readSeries({
      ...base,
      runIds: q.runs,
      x: "step",
      minX: q.xMin,
      maxX: q.xMax,
    });
    return got.map((s) => columnar(s, 1, 0, fields));
  }
  const sec = (ms: number | undefined, off: number) =>
    ms === undefined ? undefined : (ms + off) / 1000;
  if (q.x === "time" || (q.xMin === undefined && q.xMax === undefined)) {
    const got = await store.readSeries({
      ...base,
      runIds: q.runs,
      x: "time",
      minX: sec(q.xMin, 0),
      maxX: sec(q.xMax, 0),
    });
    if (q.x === "time") return got.map((s) => columnar(s, 1000, 0, fields));
    const starts = await runStarts(store, q.runs);
    return got.map((s) => columnar(s, 1000, starts.get(s.runId) ?? 0, fields));
  }
  // Relative x with a range: the range is per run, so each run is its own query.
  const starts = await runStarts(store, q.runs);
  const out: Columnar[] = [];
  for (const id of q.runs) {
    const t0 = starts.get(id) ?? 0;
    const got = await store.readSeries({
      ...base,
      runIds: [id],
      x: "time",
      minX: sec(q.xMin, t0),
      maxX: sec(q.xMax, t0),
    });
    out.push(...got.map((s) => columnar(s, 1000, t0, fields)));
  }
  return out;
}

async function runStarts(store: Store, ids: readonly string[]): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const id of ids) {
    const r = await store.getRun(id);
    if (r) m.set(id, r.createdAt);
  }
  return m;
}

export function registerReadRoutes(app: Hono, store: Store, version: string): void {
  // Live charts re-read mostly unchanged series: their JSON is kept while their numbers are.
  const seriesMemo = new SeriesJsonMemo();
  app.get("/api/health", (c) => json(c, { ok: true, version, store: store.kind }));

  app.get("/api/projects", async (c) => {
    const grant = grantOf(c);
    const ps = (await store.listProjects()).filter(
      (p) => !grant || allowsProject(grant, p.project),
    );
    return json(
      c,
      ps
        .map((p) => ({
          name: p.project,
          runs: p.runCount,
          running: p.runningCount ?? 0,
          lastActivity: p.lastActivityAt ?? p.lastCreatedAt,
        }))
        .sort((a, b) => b.lastActivity - a.lastActivity),
    );
  });

  app.get("/api/runs", async (c) => {
    const t0 = performance.now();
    const query = runQueryFromParams(new URL(c.req.url).searchParams);
    needQueryProject(c, query, "project");
    const { runs, total } = await store.listRuns(query);
    const body = encodeJson({ runs: runs.map(apiRun), total });
    return c.body(body, 200, {
      "content-type": "application/json; charset=utf-8",
      "server-timing": serverTiming(t0),
    });
  });

  app.get("/api/runs/:id", async (c) =>
    json(c, apiRun(await needRun(c, store, c.req.param("id")))),
  );

  app.get("/api/runs/:id/keys", async (c) => {
    const id = c.req.param("id");
    await needRun(c, store, id);
    const keys = await store.historyKeys(id);
    return json(
      c,
      keys.map((k) => ({ key: k.key, count: k.count, firstStep: k.minStep, lastStep: k.maxStep })),
    );
  });

  app.get("/api/runs/:id/history", query(historyQuerySchema), async (c) => {
    const id = c.req.param("id");
    await needRun(c, store, id);
    const { key, minStep, maxStep, limit } = c.req.valid("query");
    const pts = await store.readPoints({ runId: id, key, minStep, maxStep, limit });
    // Up to 100,000 points: joined number arrays, not a replacer call per number.
    const body = `{"run":${JSON.stringify(id)},"key":${JSON.stringify(key)},"step":${numbersJson(
      pts.map((p) => p.step),
    )},"time":${numbersJson(pts.map((p) => p.timestamp * 1000))},"value":${numbersJson(
      pts.map((p) => p.value),
    )}}`;
    return c.body(body, 200, { "content-type": "application/json; charset=utf-8" });
  });

  app.post("/api/series", jsonBody(seriesSchema), async (c) => {
    const q = seriesRequest(c.req.valid("json"));
    const t0 = performance.now();
    if (q.runsQuery) {
      needQueryProject(c, q.runsQuery, "runsQuery.project");
      // Only the ids: a store may keep them while its writes cannot move them.
      q.runs = store.listRunIds
        ? await store.listRunIds(q.runsQuery)
        : (await store.listRuns(q.runsQuery)).runs.map((r) => r.id);
    } else if (grantOf(c)?.projects) {
      for (let i = 0; i < q.runs.length; i++) {
        const r = await store.getRun(q.runs[i]!);
        if (r) needProject(c, r.project, `runs[${i}]`);
      }
    }
    const t1 = performance.now();
    const series = await readSeries(store, q);
    const t2 = performance.now();
    const body = seriesJson(series, q.fields ?? SERIES_FIELDS, seriesMemo);
    // Besides the handler's time, its phases: the runs (a `runsQuery`, access checks), the
    // store's series read, the JSON (where a slow chart spends its time, for the benches).
    const phases = `runs;dur=${(t1 - t0).toFixed(1)}, store;dur=${(t2 - t1).toFixed(1)}, json;dur=${(performance.now() - t2).toFixed(1)}`;
    return c.body(body, 200, {
      "content-type": "application/json; charset=utf-8",
      "server-timing": `${serverTiming(t0)}, ${phases}`,
    });
  });

  app.get("/api/runs/:id/system", query(systemQuerySchema), async (c) => {
    const id = c.req.param("id");
    await needRun(c, store, id);
    const { keys: keysParam, buckets } = c.req.valid("query");
    const keys = keysParam ? keysParam.split(",") : await systemKeys(store, id);
    const series = await readSeries(store, {
      runs: [id],
      keys,
      x: "time",
      buckets,
      source: "system",
    });
    return json(c, { series });
  });

  app.get("/api/runs/:id/console", query(consoleQuerySchema), async (c) => {
    const id = c.req.param("id");
    await needRun(c, store, id);
    const q = c.req.valid("query");
    const total = await consoleCount(store, id);
    // `tail=N` starts N lines before the end (docs/api.md); otherwise at `offset`.
    const offset = q.tail >= 0 ? Math.max(0, total - q.tail) : q.offset;
    const limit = q.tail >= 0 ? Math.max(q.tail, 1) : q.limit;
    const lines = q.tail === 0 ? [] : await store.readConsole(id, { offset, limit });
    return json(c, {
      lines: lines.map((l) => ({ stream: l.stream, time: l.timestamp * 1000, text: l.text })),
      offset,
      total,
    });
  });
}

/** The run's console line count; a store without `consoleCount` is counted page by page. */
async function consoleCount(store: Store, id: string): Promise<number> {
  if (store.consoleCount) return store.consoleCount(id);
  let n = 0;
  for (;;) {
    const page = await store.readConsole(id, { offset: n, limit: 10_000 });
    n += page.length;
    if (page.length < 10_000) return n;
  }
}

/** The run's system keys; for a store without `systemKeys`, the keys the tracker's sampler writes. */
async function systemKeys(store: Store, id: string): Promise<string[]> {
  if (store.systemKeys) return store.systemKeys(id);
  const known = ["system/cpu", "system/rss_mib", "system/memory", "system/memory_available_mib"];
  const series = await store.readSeries({
    runIds: [id],
    keys: known,
    x: "time",
    buckets: 1,
    source: "system",
  });
  return series.filter((s) => s.buckets.length > 0).map((s) => s.key);
}
