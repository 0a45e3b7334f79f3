import { applyRunPatch, newRunRecord, ownerDead, queryRunRecords } from "../store/run-record.js";
import { checkKey, checkValue } from "../store/sqlite/stored-values.js";
import { TransactionQueue } from "../store/transaction-queue.js";
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
  SeriesBucket,
  SeriesQuery,
  Store,
  StoreTransaction,
  SystemSample,
} from "../store/types.js";
import { StoreError } from "../store/types.js";
import { MemoryTransaction } from "./memory-transaction.js";

/**
 * A small in-memory `Store` for tests and the tracker's unit tests. Not for production. It passes
 * the store conformance suite: run queries, series buckets, input checks and crash reaping
 * behave as in the SQLite store (the query logic is the same, `src/store/run-record.ts`).
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
  /** The server's exactly-once ledger: last sequence number by `run NUL writer`. */
  readonly ledger = new Map<string, number>();
  closed = false;
  readonly #transactions = new TransactionQueue();

  private need(id: string): RunRecord {
    if (this.closed) throw new StoreError("store closed", "closed");
    const r = this.runs.get(id);
    if (!r) throw new StoreError(`unknown run "${id}"`, "not_found");
    return r;
  }

  async createRun(run: RunInit): Promise<RunRecord> {
    if (this.runs.has(run.id)) throw new StoreError(`duplicate run "${run.id}"`, "duplicate");
    const rec = newRunRecord(run);
    this.runs.set(run.id, rec);
    this.history.set(run.id, []);
    return structuredClone(rec);
  }
  async getRun(id: string): Promise<RunRecord | undefined> {
    const r = this.runs.get(id);
    if (r?.state === "running" && ownerDead(r)) this.markCrashed(r);
    return r && structuredClone(r);
  }
  async updateRun(id: string, patch: RunPatch): Promise<void> {
    applyRunPatch(this.need(id), patch);
  }
  async deleteRun(id: string): Promise<void> {
    this.need(id);
    for (const m of [this.runs, this.history, this.system, this.console]) m.delete(id);
  }
  async listRuns(query: RunQuery = {}): Promise<{ runs: RunRecord[]; total: number }> {
    this.reapDeadOwners();
    const { runs, total } = queryRunRecords(this.runs.values(), query);
    return { runs: runs.map((r) => structuredClone(r)), total };
  }
  async listProjects(): Promise<ProjectInfo[]> {
    this.reapDeadOwners();
    const m = new Map<string, ProjectInfo & { lastActivityAt: number }>();
    for (const r of this.runs.values()) {
      const p = m.get(r.project) ?? {
        project: r.project,
        runCount: 0,
        runningCount: 0,
        lastCreatedAt: 0,
        lastActivityAt: 0,
      };
      p.runCount++;
      if (r.state === "running") p.runningCount++;
      p.lastCreatedAt = Math.max(p.lastCreatedAt, r.createdAt);
      p.lastActivityAt = Math.max(p.lastActivityAt, r.createdAt, r.heartbeatAt, r.finishedAt ?? 0);
      m.set(r.project, p);
    }
    return [...m.values()].sort((a, b) => b.lastCreatedAt - a.lastCreatedAt);
  }
  /** Checks rows as the SQLite store does, so that a test against memory sees the same errors. */
  appendHistorySync(runId: string, rows: readonly HistoryRow[]): void {
    const r = this.need(runId);
    rows.forEach((row, i) => {
      if (!Number.isSafeInteger(row?.step) || row.step < 0) {
        throw new StoreError(
          `history row ${i}: invalid step ${JSON.stringify(row?.step)}`,
          "invalid",
        );
      }
      for (const [k, v] of Object.entries(row.values ?? {})) {
        checkKey(k, `history row ${i}`);
        checkValue(v, `history row ${i} key ${JSON.stringify(k)}`);
      }
    });
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
  async readSeries(q: SeriesQuery): Promise<Series[]> {
    if (!Number.isInteger(q.buckets) || q.buckets < 1 || q.buckets > 100_000) {
      throw new StoreError(`invalid bucket count ${JSON.stringify(q.buckets)}`, "invalid");
    }
    if (q.x !== "step" && q.x !== "time") {
      throw new StoreError(`invalid x ${JSON.stringify(q.x)}`, "invalid");
    }
    const out: Series[] = [];
    for (const runId of q.runIds) {
      for (const key of q.keys) {
        // System samples have no step: their x is always time.
        const pts: [x: number, y: unknown][] =
          q.source === "system"
            ? (this.system.get(runId) ?? []).map((s) => [s.timestamp, s.values[key]])
            : (this.history.get(runId) ?? []).map((r) => [
                q.x === "time" ? r.timestamp : r.step,
                r.values[key],
              ]);
        out.push({ runId, key, buckets: bucketize(pts, q) });
      }
    }
    return out;
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
  async reapCrashed(staleAfterMs = 30_000): Promise<string[]> {
    const now = Date.now();
    const stale = [...this.runs.values()].filter(
      (r) => r.state === "running" && (ownerDead(r) || now - r.heartbeatAt > staleAfterMs),
    );
    for (const r of stale) this.markCrashed(r);
    return stale.map((r) => r.id);
  }
  private reapDeadOwners(): void {
    for (const r of this.runs.values())
      if (r.state === "running" && ownerDead(r)) this.markCrashed(r);
  }
  private markCrashed(r: RunRecord): void {
    r.state = "crashed";
    r.finishedAt ??= Date.now();
  }
  /** All of `fn`'s writes or none (an undo log, `memory-transaction.ts`); see {@link Store.transaction}. */
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.#transactions.run(async () => {
      const tx = new MemoryTransaction(this);
      try {
        const out = await fn(tx);
        tx.commit();
        return out;
      } catch (err) {
        tx.rollback();
        throw err;
      }
    });
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * Cuts [minX, maxX] (default: the range of the numeric points; for system samples, of the
 * finite ones) into `buckets` equal buckets and keeps min, max, last and count of the finite
 * values in each and, for history, counts of NaN/±Infinity, like the SQLite store.
 */
function bucketize(pts: readonly [number, unknown][], q: SeriesQuery): SeriesBucket[] {
  const minX = q.minX ?? Number.NEGATIVE_INFINITY;
  const maxX = q.maxX ?? Number.POSITIVE_INFINITY;
  // System samples are finite (as in the SQL stores): non-finite ones are left out.
  const counted: (y: number) => boolean = q.source === "system" ? Number.isFinite : () => true;
  const nums = pts.filter(
    (p): p is [number, number] =>
      typeof p[1] === "number" && counted(p[1]) && p[0] >= minX && p[0] <= maxX,
  );
  // A loop, not Math.min(...xs): a long run has more points than a call takes arguments.
  let lo = q.minX ?? Number.POSITIVE_INFINITY;
  let hi = q.maxX ?? Number.NEGATIVE_INFINITY;
  for (const [x] of nums) {
    if (q.minX === undefined && x < lo) lo = x;
    if (q.maxX === undefined && x > hi) hi = x;
  }
  if (nums.length === 0 || !(hi >= lo)) return [];
  const n = q.buckets;
  const span = hi - lo;
  const acc = new Map<number, SeriesBucket & { lastX: number }>();
  for (const [x, y] of nums) {
    const bi = span > 0 ? Math.min(Math.floor(((x - lo) * n) / span), n - 1) : 0;
    let b = acc.get(bi);
    if (!b) {
      const none = Number.NaN;
      b = { x: lo + (bi * span) / n, min: none, max: none, last: none, count: 0, lastX: -Infinity };
      acc.set(bi, b);
    }
    if (!Number.isFinite(y)) {
      b.nonFinite ??= { nan: 0, posInf: 0, negInf: 0 };
      if (Number.isNaN(y)) b.nonFinite.nan++;
      else if (y > 0) b.nonFinite.posInf++;
      else b.nonFinite.negInf++;
      continue;
    }
    b.min = b.count === 0 ? y : Math.min(b.min, y);
    b.max = b.count === 0 ? y : Math.max(b.max, y);
    b.count++;
    if (x >= b.lastX) {
      b.last = y;
      b.lastX = x;
    }
  }
  return [...acc.entries()].sort((a, b) => a[0] - b[0]).map(([, { lastX: _, ...b }]) => b);
}
