/**
 * The dashboard's only door to data: typed wrappers over the server's JSON API
 * (docs/api.md). Shapes mirror the store's records, serialized as JSON.
 */

import type {
  GroupSeries,
  GroupSeriesRequestBody,
  GroupSeriesResponse,
  NonFiniteColumns,
  SeriesXMode,
} from "../../src/protocol/dashboard.js";
import { decodeJson, encodeJson } from "../../src/shared/json-numbers.js";
import type { RunRecord, RunState } from "../../src/store/types.js";

export type { RunState };

/** A run as `/api/runs` sends it: the store's record (summary values as decoded JSON). */
export interface Run extends Omit<RunRecord, "summary"> {
  summary: Record<string, unknown>;
  updatedAt?: number;
}

export interface Project {
  name: string;
  runs: number;
  running: number;
  lastActivity: number;
}

export interface KeyInfo {
  key: string;
  count: number;
  firstStep: number;
  lastStep: number;
}

export type FilterOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "in" | "contains";

export interface RunFilter {
  /** `config.<path>`, `summary.<path>` or a top-level field such as `name`. */
  field: string;
  op: FilterOp;
  value: string | number | boolean | null | (string | number | boolean | null)[];
}

export interface RunQuery {
  project: string;
  state?: string;
  group?: string;
  tags?: string[];
  /** Substring of id, name, notes or a tag. */
  q?: string;
  filter?: RunFilter[];
  sort?: string;
  limit?: number;
  offset?: number;
}

export type XMode = SeriesXMode;

/**
 * One downsampled series: parallel arrays, one entry per non-empty bucket. `x` is the step,
 * or epoch ms (`time`), or ms since the run's creation (`relative`).
 */
export interface SeriesData {
  run: string;
  key: string;
  x: number[];
  min: number[];
  max: number[];
  last: number[];
  count: number[];
  /** The buckets holding NaN/±Infinity (sparse; absent when none): charts mark them. */
  nonFinite?: NonFiniteColumns;
}

export type { NonFiniteColumns };

export interface ConsoleLine {
  stream: "stdout" | "stderr";
  /** Epoch milliseconds. */
  time: number;
  text: string;
}

/** A failed request, with the server's message (its JSON `error` when present). */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** API key for servers that require one for reads; kept in localStorage by the settings box. */
function authHeaders(): Record<string, string> {
  const key = localStorage.getItem("amltk.apiKey");
  return key ? { authorization: `Bearer ${key}` } : {};
}

/**
 * Responses index.html started before this script loaded, by `path` (`path\nbody` for a POST);
 * each is taken once, by the identical request only.
 */
function takeEarly(path: string, body: unknown): Promise<Response> | undefined {
  const early = (window as { __amltkEarly?: Record<string, Promise<Response>> }).__amltkEarly;
  const id = typeof body === "string" ? `${path}\n${body}` : body ? undefined : path;
  const res = id === undefined ? undefined : early?.[id];
  if (res) delete early![id!];
  return res;
}

/** Forgets the early requests (after the first page), so none can answer a later request. */
export function dropEarly(): void {
  delete (window as { __amltkEarly?: unknown }).__amltkEarly;
}

async function request<T>(path: string, init?: RequestInit, reviveNumbers = true): Promise<T> {
  const send = () =>
    fetch(`api/${path}`, {
      ...init,
      headers: {
        ...authHeaders(),
        ...(init?.body ? { "content-type": "application/json" } : {}),
        ...(init?.headers as Record<string, string> | undefined),
      },
    });
  // An early request that failed to arrive is sent again.
  const res = await (takeEarly(path, init?.body)?.catch(send) ?? send());
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: { message?: string; field?: string } };
      if (body.error?.message)
        msg = body.error.field ? `${body.error.message} (${body.error.field})` : body.error.message;
    } catch {
      // Not JSON: keep the status line.
    }
    throw new ApiError(`${path}: ${msg}`, res.status);
  }
  // Series never carry non-finite values (the server leaves them out of buckets), so their
  // large bodies skip the reviver, which costs a call per value.
  // NaN and ±Infinity travel tagged (JSON has no literal for them): the server's own codec.
  return (reviveNumbers ? decodeJson<T>(await res.text()) : await res.json()) as T;
}

export function listProjects(): Promise<Project[]> {
  return request<Project[]>("projects");
}

export function listRuns(q: RunQuery): Promise<{ runs: Run[]; total: number }> {
  return request(`runs?${runsQueryString(q)}`);
}

/** The query string of `GET /api/runs` for `q` (also what `series` takes as `runsQuery`). */
export function runsQueryString(q: RunQuery): string {
  const p = new URLSearchParams({ project: q.project });
  if (q.state) p.set("state", q.state);
  if (q.group) p.set("group", q.group);
  for (const t of q.tags ?? []) p.append("tag", t);
  if (q.q) p.set("q", q.q);
  // NaN/±Infinity tagged, as the server reads them (`cost = NaN`).
  if (q.filter?.length) p.set("filter", encodeJson(q.filter));
  if (q.sort) p.set("sort", q.sort);
  if (q.limit !== undefined) p.set("limit", String(q.limit));
  if (q.offset !== undefined) p.set("offset", String(q.offset));
  return p.toString();
}

/**
 * The runs of `project` with these ids, in one request (`GET /api/runs` filtered by `id in
 * [...]`): the comparison view's data. The order is the server's; ids not found are absent.
 * index.html starts the identical request early on a comparison page.
 */
export async function runsByIds(project: string, ids: readonly string[]): Promise<Run[]> {
  const q: RunQuery = {
    project,
    filter: [{ field: "id", op: "in", value: [...ids] }],
    limit: ids.length,
  };
  return (await listRuns(q)).runs;
}

export function getRun(id: string): Promise<Run> {
  return request<Run>(`runs/${encodeURIComponent(id)}`);
}

export function runKeys(id: string): Promise<KeyInfo[]> {
  return request<KeyInfo[]>(`runs/${encodeURIComponent(id)}/keys`);
}

/** Bucket columns besides `x`; a chart of many runs draws only `last` (and `nonFinite` marks). */
export type SeriesField = "min" | "max" | "last" | "count" | "nonFinite";

export async function series(req: {
  /** Run ids, or `runsQuery`: the runs a runs query names (its first `limit`). */
  runs?: string[];
  runsQuery?: string;
  keys: string[];
  x: XMode;
  buckets: number;
  /** Columns to fetch (default all); the others come back as empty arrays. */
  fields?: SeriesField[];
  /** The x range to bucket (a zoom), in the API's x unit (steps, or ms for time/relative). */
  xMin?: number;
  xMax?: number;
}): Promise<SeriesData[]> {
  const r = await request<{ series: SeriesData[] }>(
    "series",
    { method: "POST", body: JSON.stringify(req) },
    false,
  );
  if (req.fields) {
    for (const s of r.series) {
      s.min ??= [];
      s.max ??= [];
      s.last ??= [];
      s.count ??= [];
    }
  }
  return r.series;
}

/** One group's aggregate of one key, and the whole answer: the server's wire types. */
export type GroupSeriesData = GroupSeries;
export type { GroupSeriesRequestBody };
export type GroupSeriesResult = GroupSeriesResponse;

/** A history key of several runs (`POST /api/keys`). */
export interface UnionKey {
  key: string;
  /** How many of the runs logged it. */
  runs: number;
  /** Whether some run logged a finite number under it. */
  numeric: boolean;
}

/** The union of the history keys of the runs (ids, or the runs a runs query names). */
export async function keysOf(req: { runs?: string[]; runsQuery?: string }): Promise<UnionKey[]> {
  return (
    await request<{ keys: UnionKey[] }>("keys", { method: "POST", body: JSON.stringify(req) })
  ).keys;
}

/** Group aggregates computed by the server over every run of each group (one request). */
export function groupSeries(req: GroupSeriesRequestBody): Promise<GroupSeriesResult> {
  return request<GroupSeriesResult>(
    "series/groups",
    { method: "POST", body: JSON.stringify(req) },
    false,
  );
}

/** System metrics of one run, one series per key (x = epoch milliseconds). */
export async function systemSeries(id: string, buckets = 300): Promise<SeriesData[]> {
  const r = await request<{ series: SeriesData[] }>(
    `runs/${encodeURIComponent(id)}/system?buckets=${buckets}`,
  );
  return r.series;
}

/** The last `limit` console lines (the server pages from the start, so ask for the tail). */
export async function consoleLines(id: string, offset = 0, limit = 10_000): Promise<ConsoleLine[]> {
  const r = await request<{ lines: ConsoleLine[] }>(
    `runs/${encodeURIComponent(id)}/console?offset=${offset}&limit=${limit}`,
  );
  return r.lines;
}

/** A saved view of a project (`/api/projects/:p/views`): a name and a runs-page hash query. */
export interface SavedView {
  project: string;
  name: string;
  state: string;
  updatedAt: number;
}

const viewsPath = (project: string) => `projects/${encodeURIComponent(project)}/views`;

export async function listViews(project: string): Promise<SavedView[]> {
  return (await request<{ views: SavedView[] }>(viewsPath(project))).views;
}

export function putView(project: string, name: string, state: string): Promise<SavedView> {
  return request<SavedView>(`${viewsPath(project)}/${encodeURIComponent(name)}`, {
    method: "PUT",
    body: JSON.stringify({ state }),
  });
}

export async function deleteView(project: string, name: string): Promise<void> {
  // The server's guard wants every write to say JSON, bodiless ones too.
  await request(`${viewsPath(project)}/${encodeURIComponent(name)}`, {
    method: "DELETE",
    headers: { "content-type": "application/json" },
  });
}

/** What the dashboard lets a user edit on a run. */
export type RunEdit = Partial<Pick<Run, "name" | "notes" | "tags">>;

/**
 * Renames a run or sets its notes or tags (`PATCH /api/runs/:id`). A finished run is edited
 * too: the page's edit is meant, so it sends the header that says so.
 */
export function editRun(id: string, edit: RunEdit): Promise<Run> {
  return request<Run>(`runs/${encodeURIComponent(id)}`, {
    method: "PATCH",
    body: JSON.stringify(edit),
    headers: { "x-amltk-allow-finished": "true" },
  });
}
