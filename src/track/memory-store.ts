import type {
  ConsoleLine,
  HistoryKeyInfo,
  HistoryRow,
  Point,
  PointQuery,
  ProjectInfo,
  RunInit,
  RunPatch,
  RunQuery,
  RunRecord,
  Series,
  SeriesQuery,
  Store,
  SystemSample,
} from "../store/types.js";
import { StoreError } from "../store/types.js";

/**
 * A small in-memory `Store` for tests and the tracker's unit tests. Not for production.
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * const run = await init({ store, systemInterval: 0 });
 * run.log({ x: 1 });
 * await run.finish();
 * store.history.get(run.id); // [{ step: 0, values: { x: 1 }, ... }]
 * ```
 */
export class MemoryStore implements Store {
  readonly kind = "memory";
  readonly runs = new Map<string, RunRecord>();
  readonly history = new Map<string, HistoryRow[]>();
  readonly system = new Map<string, SystemSample[]>();
  readonly console = new Map<string, ConsoleLine[]>();
  closed = false;

  private need(id: string): RunRecord {
    if (this.closed) throw new StoreError("store closed", "closed");
    const r = this.runs.get(id);
    if (!r) throw new StoreError(`unknown run "${id}"`, "not_found");
    return r;
  }

  async createRun(run: RunInit): Promise<RunRecord> {
    if (this.runs.has(run.id)) throw new StoreError(`duplicate run "${run.id}"`, "duplicate");
    const rec: RunRecord = {
      id: run.id,
      project: run.project,
      entity: run.entity ?? null,
      group: run.group ?? null,
      jobType: run.jobType ?? null,
      name: run.name,
      notes: run.notes ?? null,
      tags: [...(run.tags ?? [])],
      config: { ...(run.config ?? {}) },
      summary: {},
      state: "running",
      exitCode: null,
      createdAt: run.createdAt,
      heartbeatAt: run.createdAt,
      finishedAt: null,
      pid: run.pid ?? null,
      host: run.host ?? null,
      nextStep: 0,
    };
    this.runs.set(run.id, rec);
    this.history.set(run.id, []);
    return structuredClone(rec);
  }
  async getRun(id: string): Promise<RunRecord | undefined> {
    const r = this.runs.get(id);
    return r && structuredClone(r);
  }
  async updateRun(id: string, patch: RunPatch): Promise<void> {
    const r = this.need(id);
    for (const [k, v] of Object.entries(patch)) {
      if (v !== undefined) (r as unknown as Record<string, unknown>)[k] = structuredClone(v);
    }
  }
  async deleteRun(id: string): Promise<void> {
    this.runs.delete(id);
    this.history.delete(id);
  }
  async listRuns(query: RunQuery = {}): Promise<{ runs: RunRecord[]; total: number }> {
    const runs = [...this.runs.values()].filter(
      (r) => query.project === undefined || r.project === query.project,
    );
    return { runs: runs.map((r) => structuredClone(r)), total: runs.length };
  }
  async listProjects(): Promise<ProjectInfo[]> {
    const m = new Map<string, ProjectInfo>();
    for (const r of this.runs.values()) {
      const p = m.get(r.project) ?? {
        project: r.project,
        runCount: 0,
        runningCount: 0,
        lastCreatedAt: 0,
      };
      p.runCount++;
      if (r.state === "running") p.runningCount++;
      p.lastCreatedAt = Math.max(p.lastCreatedAt, r.createdAt);
      m.set(r.project, p);
    }
    return [...m.values()];
  }
  appendHistorySync(runId: string, rows: readonly HistoryRow[]): void {
    const r = this.need(runId);
    const h = this.history.get(runId)!;
    for (const row of rows) {
      h.push(row);
      if (row.step + 1 > r.nextStep) r.nextStep = row.step + 1;
    }
  }
  async appendHistory(runId: string, rows: readonly HistoryRow[]): Promise<void> {
    this.appendHistorySync(runId, rows);
  }
  async readHistory(
    runId: string,
    opts: { minStep?: number; maxStep?: number; limit?: number } = {},
  ): Promise<HistoryRow[]> {
    const rows = (this.history.get(runId) ?? []).filter(
      (r) =>
        (opts.minStep === undefined || r.step >= opts.minStep) &&
        (opts.maxStep === undefined || r.step <= opts.maxStep),
    );
    return opts.limit === undefined ? rows : rows.slice(0, opts.limit);
  }
  async readPoints(q: PointQuery): Promise<Point[]> {
    const rows = await this.readHistory(q.runId, q);
    return rows
      .filter((r) => q.key in r.values)
      .map((r) => ({ step: r.step, timestamp: r.timestamp, value: r.values[q.key] }));
  }
  async historyKeys(runId: string): Promise<HistoryKeyInfo[]> {
    const m = new Map<string, HistoryKeyInfo>();
    for (const r of this.history.get(runId) ?? []) {
      for (const key of Object.keys(r.values)) {
        const i = m.get(key) ?? { key, count: 0, minStep: r.step, maxStep: r.step };
        i.count++;
        i.minStep = Math.min(i.minStep, r.step);
        i.maxStep = Math.max(i.maxStep, r.step);
        m.set(key, i);
      }
    }
    return [...m.values()];
  }
  async readSeries(_q: SeriesQuery): Promise<Series[]> {
    throw new StoreError("MemoryStore does not implement readSeries", "invalid");
  }
  async appendSystem(runId: string, samples: readonly SystemSample[]): Promise<void> {
    this.need(runId);
    const a = this.system.get(runId) ?? [];
    a.push(...samples);
    this.system.set(runId, a);
  }
  async appendConsole(runId: string, lines: readonly ConsoleLine[]): Promise<void> {
    this.need(runId);
    const a = this.console.get(runId) ?? [];
    a.push(...lines);
    this.console.set(runId, a);
  }
  async readConsole(
    runId: string,
    opts: { offset?: number; limit?: number } = {},
  ): Promise<ConsoleLine[]> {
    const a = this.console.get(runId) ?? [];
    const o = opts.offset ?? 0;
    return a.slice(o, opts.limit === undefined ? undefined : o + opts.limit);
  }
  async reapCrashed(): Promise<string[]> {
    return [];
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
