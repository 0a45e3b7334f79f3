/**
 * `OnlineStore`: the `Store` a run writes through in `init({ mode: "online" })`. Writes become
 * ops in an `Outbox` (queued, spooled, delivered exactly once); the few reads `init` needs
 * (resume) go to the server over HTTP. Reads the tracker never makes are refused: the
 * dashboard and the CLI read the server's store directly.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { HistoryColumns } from "../../protocol/batch.js";
import { decodeJson, tagNumbers, tagValue } from "../../shared/json-numbers.js";
import type { HistoryBatch } from "../../store/history-batch.js";
import { newRunRecord, processStartToken } from "../../store/run-record.js";
import {
  type ConsoleLine,
  type HistoryKeyInfo,
  type HistoryRow,
  type Point,
  type ProjectInfo,
  type RunFilter,
  type RunInit,
  type RunPatch,
  type RunQuery,
  type RunRecord,
  type Series,
  type Store,
  StoreError,
  type SystemSample,
} from "../../store/types.js";
import { DEFAULT_FINISH_TIMEOUT_MS, Outbox, type OutboxOptions } from "./outbox.js";
import { Spool } from "./spool.js";
import type { SyncHandle } from "./sync.js";

export interface OnlineStoreOptions extends OutboxOptions {
  /** Run folder root; the spool goes to `<dir>/spool/`. */
  dir: string;
  /** `create` resumes an existing run on the server instead of failing. */
  resume?: boolean;
  /**
   * Delivery of spools that exited processes left (started by the online `init`): `close` gives
   * it the same bound, then stops it, so a server that hangs cannot hold the process open.
   */
  leftovers?: SyncHandle;
}

export class OnlineStore implements Store {
  readonly kind = "online";
  readonly writer = `w${randomBytes(9).toString("base64url")}`;
  readonly #outboxes = new Map<string, Outbox>();
  /** Runs `getRun` found on the server: `init` resumes them with a patch, sent as a resume. */
  readonly #found = new Map<string, RunRecord>();

  constructor(readonly opts: OnlineStoreOptions) {}

  /** The outbox of a run (created on first write). */
  outbox(runId: string): Outbox {
    let o = this.#outboxes.get(runId);
    if (!o) {
      const spool = new Spool(this.opts.dir, {
        runId,
        writer: this.writer,
        baseUrl: this.opts.baseUrl,
        pid: process.pid,
        host: hostname(),
        ownerStart: processStartToken(process.pid),
        createdAt: Date.now(),
      });
      o = new Outbox(spool, this.opts);
      this.#outboxes.set(runId, o);
    }
    return o;
  }

  async #get(path: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.opts.baseUrl + path, {
        headers: this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {},
        signal: AbortSignal.timeout(5_000),
      });
    } catch (e) {
      throw new StoreError(
        `server ${this.opts.baseUrl} unreachable: ${(e as Error).message}`,
        "busy",
        { cause: e },
      );
    }
    const text = await res.text();
    if (res.status === 404) return undefined;
    if (!res.ok)
      throw new StoreError(`server answered ${res.status}: ${text.slice(0, 300)}`, "busy");
    return decodeJson(text);
  }

  createRun(run: RunInit): Promise<RunRecord> {
    const { id, ...rest } = run;
    this.outbox(id).push({
      type: "create",
      run: tagValue(rest),
      resume: this.opts.resume === true,
    });
    return Promise.resolve(newRunRecord(run));
  }

  /** Asks the server; an unreachable server reads as "no such run" so that training starts. */
  async getRun(id: string): Promise<RunRecord | undefined> {
    try {
      const rec = (await this.#get(`/api/runs/${encodeURIComponent(id)}`)) as RunRecord | undefined;
      if (rec) this.#found.set(id, rec);
      return rec;
    } catch {
      return undefined;
    }
  }

  updateRun(id: string, patch: RunPatch): Promise<void> {
    this.updateRunSync(id, patch);
    return Promise.resolve();
  }

  updateRunSync(id: string, patch: RunPatch): void {
    const prev = this.#found.get(id);
    if (prev && !this.#outboxes.has(id)) {
      // `init` resumes an existing run with a patch. This writer's first op must be a create
      // with resume: the server takes a new writer's writes to a closed run only that way.
      this.outbox(id).push({
        type: "create",
        run: tagValue(resumeBody(prev, patch)),
        resume: true,
      });
    }
    this.outbox(id).push({ type: "patch", patch: tagValue(patch) });
  }

  /** The tracker's fast path: columns copied now (the caller recycles the batch's arrays). */
  appendHistoryBatch(runId: string, batch: HistoryBatch): Promise<void> {
    this.appendHistoryBatchSync(runId, batch);
    return Promise.resolve();
  }

  appendHistoryBatchSync(runId: string, b: HistoryBatch): void {
    if (b.rows === 0) return;
    const columns: HistoryColumns["columns"] = {};
    for (const [k, c] of b.columns) {
      if (c.n === 0) continue;
      // A key logged at every row (the usual case) needs no row list: about half the bytes.
      const dense = c.n === b.rows;
      columns[k] = dense
        ? { values: tagNumbers(c.values, c.n) }
        : { rows: Array.from(c.rows.subarray(0, c.n)), values: tagNumbers(c.values, c.n) };
    }
    this.outbox(runId).push({
      type: "history_cols",
      cols: {
        steps: Array.from(b.steps.subarray(0, b.rows)),
        runtimes: Array.from(b.runtimes.subarray(0, b.rows)),
        timestamps: Array.from(b.timestamps.subarray(0, b.rows)),
        columns,
        others: b.others.map((o) => ({ row: o.row, key: o.key, value: tagValue(o.value) })),
      },
    });
  }

  appendHistory(runId: string, rows: readonly HistoryRow[]): Promise<void> {
    this.appendHistorySync(runId, rows);
    return Promise.resolve();
  }

  appendHistorySync(runId: string, rows: readonly HistoryRow[]): void {
    if (rows.length > 0) this.outbox(runId).push({ type: "history", rows: tagValue([...rows]) });
  }

  appendSystem(runId: string, samples: readonly SystemSample[]): Promise<void> {
    if (samples.length > 0)
      this.outbox(runId).push({ type: "system", samples: tagValue([...samples]) });
    return Promise.resolve();
  }

  appendConsole(runId: string, lines: readonly ConsoleLine[]): Promise<void> {
    this.appendConsoleSync(runId, lines);
    return Promise.resolve();
  }

  appendConsoleSync(runId: string, lines: readonly ConsoleLine[]): void {
    if (lines.length > 0) this.outbox(runId).push({ type: "console", lines: [...lines] });
  }

  async listRuns(query: RunQuery = {}): Promise<{ runs: RunRecord[]; total: number }> {
    return (await this.#get(`/api/runs?${runQueryParams(query)}`)) as {
      runs: RunRecord[];
      total: number;
    };
  }

  async listProjects(): Promise<ProjectInfo[]> {
    const ps = (await this.#get("/api/projects")) as {
      name: string;
      runs: number;
      running: number;
      lastActivity: number;
    }[];
    return ps.map((p) => ({
      project: p.name,
      runCount: p.runs,
      runningCount: p.running,
      lastCreatedAt: p.lastActivity,
      lastActivityAt: p.lastActivity,
    }));
  }

  #writeOnly(what: string): never {
    throw new StoreError(
      `online store: ${what} is not available; read through the server API`,
      "invalid",
    );
  }

  async deleteRun(): Promise<void> {
    this.#writeOnly("deleteRun");
  }
  async readHistory(): Promise<HistoryRow[]> {
    this.#writeOnly("readHistory");
  }
  async readPoints(): Promise<Point[]> {
    this.#writeOnly("readPoints");
  }
  async historyKeys(): Promise<HistoryKeyInfo[]> {
    this.#writeOnly("historyKeys");
  }
  async readSeries(): Promise<Series[]> {
    this.#writeOnly("readSeries");
  }
  async readConsole(): Promise<ConsoleLine[]> {
    this.#writeOnly("readConsole");
  }
  /** Crash detection is the server's job. */
  async reapCrashed(): Promise<string[]> {
    return [];
  }

  /**
   * Waits for delivery up to `finishTimeoutMs`, less when the server is down; what is not
   * acknowledged by then stays spooled (it is on disk already: the outbox is write-ahead).
   */
  async close(): Promise<void> {
    const t = this.opts.finishTimeoutMs ?? DEFAULT_FINISH_TIMEOUT_MS;
    const leftovers = this.opts.leftovers;
    let timer: NodeJS.Timeout | undefined;
    await Promise.all([
      ...[...this.#outboxes.values()].map((o) => o.close(t)),
      leftovers &&
        Promise.race([
          leftovers.settled(true),
          new Promise<void>((r) => {
            timer = setTimeout(r, t);
          }),
        ]),
    ]);
    clearTimeout(timer);
    // What is left stays spooled (and unlocked) for the next init or `amltk sync`.
    leftovers?.stop();
  }
}

/** The create op that resumes `prev` (the server merges config and sets it running). */
function resumeBody(prev: RunRecord, patch: RunPatch): Omit<RunInit, "id"> {
  return {
    project: prev.project,
    name: prev.name,
    createdAt: prev.createdAt,
    config: (patch.config as Record<string, unknown> | undefined) ?? prev.config,
    ...(prev.entity ? { entity: prev.entity } : {}),
    ...(prev.group ? { group: prev.group } : {}),
    ...(prev.jobType ? { jobType: prev.jobType } : {}),
  };
}

/** The store's filter operators as the HTTP API spells them (docs/api.md). */
const API_OPS: Record<RunFilter["op"], string> = {
  "=": "eq",
  "!=": "ne",
  "<": "lt",
  "<=": "le",
  ">": "gt",
  ">=": "ge",
  contains: "contains",
  in: "in",
};

/** A {@link RunQuery} as `/api/runs` query parameters, so reads through the server filter alike. */
export function runQueryParams(query: RunQuery): URLSearchParams {
  const p = new URLSearchParams();
  if (query.project) p.set("project", query.project);
  if (query.state !== undefined) {
    p.set("state", (typeof query.state === "string" ? [query.state] : query.state).join(","));
  }
  if (query.group) p.set("group", query.group);
  for (const tag of query.tags ?? []) p.append("tag", tag);
  if (query.search) p.set("q", query.search);
  if (query.where?.length) {
    const filters = query.where.map((f) => ({ field: f.path, op: API_OPS[f.op], value: f.value }));
    p.set("filter", JSON.stringify(filters));
  }
  if (query.sort) p.set("sort", query.sort);
  if (query.limit !== undefined) p.set("limit", String(query.limit));
  if (query.offset !== undefined) p.set("offset", String(query.offset));
  return p;
}
