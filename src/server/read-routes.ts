/** Read endpoints: projects, runs (filter/sort/page), one run, keys, raw points, series, system, console. */
import type { Context, Hono } from "hono";
import type { RunQuery, RunRecord, Series, Store } from "../store/types.js";
import { grantOf, needAllProjects, needProject } from "./access.js";
import { allowsProject } from "./auth.js";
import { ApiError, invalid } from "./errors.js";
import { decodeJson, encodeJson, LIMITS } from "./protocol.js";
import { runQueryFromParams } from "./run-query.js";
import { type ColumnarSeries, numbersJson, seriesJson } from "./series-json.js";
import { obj, runId } from "./validate.js";

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

function intParam(c: Context, name: string, def: number, max: number, min = 0): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return def;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw invalid(name, `must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** The run `id` names, when it exists and the request's key may see its project. */
async function needRun(c: Context, store: Store, id: string): Promise<RunRecord> {
  runId(id, "id");
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

/** Per-bucket columns a series request can ask for (`x` always comes). */
export const SERIES_FIELDS = ["min", "max", "last", "count"] as const;
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

export function parseSeriesRequest(body: unknown): SeriesRequest {
  const o = obj(body, "body");
  const list = (v: unknown, f: string, max: number) => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      throw invalid(f, "must be an array of strings");
    }
    if (v.length > max) throw invalid(f, `at most ${max} entries`);
    return v as string[];
  };
  let runsQuery: RunQuery | undefined;
  if (o.runsQuery !== undefined) {
    if (typeof o.runsQuery !== "string") throw invalid("runsQuery", "must be a query string");
    if (o.runs !== undefined) throw invalid("runsQuery", "give runs or runsQuery, not both");
    runsQuery = runQueryFromParams(new URLSearchParams(o.runsQuery), "runsQuery.");
    if ((runsQuery.limit ?? 100) > LIMITS.seriesRuns) {
      throw invalid("runsQuery.limit", `at most ${LIMITS.seriesRuns} runs`);
    }
  }
  const runs = runsQuery ? [] : list(o.runs, "runs", LIMITS.seriesRuns);
  for (let i = 0; i < runs.length; i++) runId(runs[i], `runs[${i}]`);
  const keys = list(o.keys, "keys", LIMITS.seriesKeys);
  const x = o.x ?? "step";
  if (x !== "step" && x !== "time" && x !== "relative") {
    throw invalid("x", 'must be "step", "time" or "relative"');
  }
  const buckets = o.buckets ?? 500;
  if (
    !Number.isInteger(buckets) ||
    (buckets as number) < 1 ||
    (buckets as number) > LIMITS.buckets
  ) {
    throw invalid("buckets", `must be an integer in 1..${LIMITS.buckets}`);
  }
  const source = o.source ?? "history";
  if (source !== "history" && source !== "system") {
    throw invalid("source", 'must be "history" or "system"');
  }
  if (source === "system" && x === "step") throw invalid("x", "system metrics have no step");
  for (const f of ["xMin", "xMax"] as const) {
    if (o[f] !== undefined && (typeof o[f] !== "number" || !Number.isFinite(o[f]))) {
      throw invalid(f, "must be a finite number");
    }
  }
  let fields: SeriesField[] | undefined;
  if (o.fields !== undefined) {
    fields = list(o.fields, "fields", SERIES_FIELDS.length) as SeriesField[];
    for (let i = 0; i < fields.length; i++) {
      if (!SERIES_FIELDS.includes(fields[i]!)) {
        throw invalid(`fields[${i}]`, `must be one of ${SERIES_FIELDS.join(", ")}`);
      }
    }
  }
  return {
    runs,
    keys,
    x,
    buckets: buckets as number,
    source,
    xMin: o.xMin as number | undefined,
    xMax: o.xMax as number | undefined,
    ...(fields ? { fields } : {}),
    ...(runsQuery ? { runsQuery } : {}),
  };
}

type Columnar = ColumnarSeries;

/** One series as columns: `x` in the API's unit, and only the bucket columns asked for. */
function columnar(s: Series, scale: number, offset: number, fields: readonly SeriesField[]) {
  const b = s.buckets;
  const out: Columnar = { run: s.runId, key: s.key, x: b.map((p) => p.x * scale - offset) };
  for (const f of fields) out[f] = b.map((p) => p[f]);
  return out;
}

/** Runs a series request against the store; time in the API is epoch ms, in the store seconds. */
export async function readSeries(store: Store, q: SeriesRequest): Promise<Columnar[]> {
  const base = { keys: q.keys, buckets: q.buckets, source: q.source } as const;
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

  app.get("/api/runs/:id/history", async (c) => {
    const id = c.req.param("id");
    await needRun(c, store, id);
    const key = c.req.query("key");
    if (!key) throw invalid("key", "is required");
    if (key.length > 512) throw invalid("key", `is ${key.length} characters long; at most 512`);
    const pts = await store.readPoints({
      runId: id,
      key,
      minStep: intParam(c, "minStep", 0, Number.MAX_SAFE_INTEGER),
      maxStep: intParam(c, "maxStep", Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
      limit: intParam(c, "limit", 10_000, 100_000),
    });
    // Up to 100,000 points: joined number arrays, not a replacer call per number.
    const body = `{"run":${JSON.stringify(id)},"key":${JSON.stringify(key)},"step":${numbersJson(
      pts.map((p) => p.step),
    )},"time":${numbersJson(pts.map((p) => p.timestamp * 1000))},"value":${numbersJson(
      pts.map((p) => p.value),
    )}}`;
    return c.body(body, 200, { "content-type": "application/json; charset=utf-8" });
  });

  app.post("/api/series", async (c) => {
    const q = parseSeriesRequest(await readJson(c));
    const t0 = performance.now();
    if (q.runsQuery) {
      needQueryProject(c, q.runsQuery, "runsQuery.project");
      q.runs = (await store.listRuns(q.runsQuery)).runs.map((r) => r.id);
    } else if (grantOf(c)?.projects) {
      for (let i = 0; i < q.runs.length; i++) {
        const r = await store.getRun(q.runs[i]!);
        if (r) needProject(c, r.project, `runs[${i}]`);
      }
    }
    const body = seriesJson(await readSeries(store, q), q.fields ?? SERIES_FIELDS);
    return c.body(body, 200, {
      "content-type": "application/json; charset=utf-8",
      "server-timing": serverTiming(t0),
    });
  });

  app.get("/api/runs/:id/system", async (c) => {
    const id = c.req.param("id");
    await needRun(c, store, id);
    const keysParam = c.req.query("keys");
    const keys = keysParam ? keysParam.split(",") : await systemKeys(store, id);
    const series = await readSeries(store, {
      runs: [id],
      keys,
      x: "time",
      buckets: intParam(c, "buckets", 200, LIMITS.buckets, 1),
      source: "system",
    });
    return json(c, { series });
  });

  app.get("/api/runs/:id/console", async (c) => {
    const id = c.req.param("id");
    await needRun(c, store, id);
    const offset = intParam(c, "offset", 0, Number.MAX_SAFE_INTEGER);
    const lines = await store.readConsole(id, {
      offset,
      limit: intParam(c, "limit", 1000, 10_000),
    });
    return json(c, {
      lines: lines.map((l) => ({ stream: l.stream, time: l.timestamp * 1000, text: l.text })),
      offset,
    });
  });
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

/** Parses a JSON body (tags restored), mapping bad JSON to a 400. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length === 0) throw new ApiError(400, "bad_json", "request body is empty", "body");
  try {
    return decodeJson(text);
  } catch (e) {
    throw new ApiError(
      400,
      "bad_json",
      `request body is not valid JSON: ${(e as Error).message}`,
      "body",
    );
  }
}
