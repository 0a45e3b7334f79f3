/**
 * Change detection for live updates. Writers may be other processes (offline trackers on the
 * SQLite file, other server processes on one PostgreSQL database), so the server cannot rely on
 * its own writes: every tick (250 ms) it asks the store whether anyone committed
 * (`Store.changeVersion`: SQLite's `PRAGMA data_version`, PostgreSQL's LISTEN/NOTIFY; a store
 * without it is looked at every tick), and only then lists the running and recently finished
 * runs and diffs them against what it saw. New history is read per run from its last seen
 * `nextStep` through `Store.readHistory`.
 */

import { encodeJson } from "../shared/json-numbers.js";
import type { RunRecord, Store } from "../store/types.js";

export interface HistoryPoint {
  run: string;
  key: string;
  step: number;
  value: number | boolean;
  time: number;
}

export interface Subscriber {
  /** Only events of this project; undefined = all. */
  project?: string;
  send(event: "run" | "history", data: unknown): void;
}

/** One look's news: runs whose record changed, and new history points. */
interface Changes {
  runs: { run: RunRecord; historyTruncated?: boolean }[];
  points: HistoryPoint[];
}

interface Seen {
  fp: string;
  nextStep: number;
  project: string;
}

/**
 * Rows streamed per run per tick; past this the client is told to refetch. Small on purpose:
 * a dashboard redraws from downsampled series anyway, and reading raw rows competes with ingest.
 */
export const MAX_ROWS_PER_TICK = 200;

/** How often a watched server checks running runs' owner processes (a few syscalls per run). */
const REAP_EVERY_MS = 1_000;

export class Watcher {
  readonly #subs = new Set<Subscriber>();
  readonly #seen = new Map<string, Seen>();
  #timer: NodeJS.Timeout | undefined;
  #local = 0;
  #lastLocal = -1;
  #lastVersion = -1;
  #lastTick = 0;
  #startedAt = 0;
  #busy = false;
  #running = new Set<string>();
  #lastReap = 0;

  constructor(
    private readonly store: Store,
    private readonly intervalMs = 250,
  ) {}

  /**
   * Called after the server's own writes: a store's change version may not show them (SQLite's
   * `data_version` ignores its own connection's commits), and reads may go through other
   * connections (a read pool) that must look again.
   */
  changed(): void {
    this.#local++;
  }

  subscribe(sub: Subscriber): () => void {
    this.#subs.add(sub);
    if (!this.#timer) {
      this.#startedAt = Date.now();
      this.#lastTick = this.#startedAt;
      this.#seen.clear();
      this.#lastVersion = -1;
      this.#lastLocal = -1;
      this.#timer = setInterval(() => void this.tick(), this.intervalMs);
      this.#timer.unref();
      void this.tick();
    }
    return () => {
      this.#subs.delete(sub);
      if (this.#subs.size === 0) this.stop();
    };
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The store's change version; a store that cannot tell is looked at every tick. */
  async #changeVersion(): Promise<number> {
    return this.store.changeVersion ? this.store.changeVersion() : Date.now();
  }

  /** One check; exported for tests through `Watcher.prototype.tick`. */
  async tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const reaped = await this.#reapDeadOwners();
      const version = await this.#changeVersion();
      // Heartbeat-driven crash marking changes nothing in the file, so look every 5 s anyway.
      const stale = Date.now() - this.#lastTick > 5_000;
      if (version === this.#lastVersion && this.#local === this.#lastLocal && !stale && !reaped) {
        return;
      }
      this.#lastVersion = version;
      this.#lastLocal = this.#local;
      const since = this.#lastTick;
      this.#lastTick = Date.now();
      await this.#sendChangesSince(since);
    } catch {
      // a busy or closing store: try again next tick
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Marks runs whose owner process on this host died (or whose pid now names another process)
   * as crashed, at most once per REAP_EVERY_MS while someone watches: a killed writer writes
   * nothing more, so without this its run would show as running until some reader reaped it.
   * Best-effort: a store that cannot be written still streams. True when it marked any.
   */
  async #reapDeadOwners(): Promise<boolean> {
    const now = Date.now();
    if (now - this.#lastReap < REAP_EVERY_MS) return false;
    this.#lastReap = now;
    try {
      return (await this.store.reapCrashed(Number.POSITIVE_INFINITY)).length > 0;
    } catch {
      return false;
    }
  }

  /**
   * Sends subscribers what changed since `since` (epoch ms) in the projects they watch: each
   * run whose record changed, and the history points logged since the last look.
   */
  async #sendChangesSince(since: number): Promise<void> {
    const wanted = this.#watchedProjects();
    const runs = await this.#runsToLookAt(wanted, since);
    const changes = await this.#changesOf(runs, wanted);
    if (changes.runs.length > 0 || changes.points.length > 0) this.#send(changes);
  }

  /** The projects someone watches; undefined when someone watches all. */
  #watchedProjects(): Set<string> | undefined {
    const wanted = new Set<string>();
    for (const sub of this.#subs) {
      if (sub.project === undefined) return undefined;
      wanted.add(sub.project);
    }
    return wanted;
  }

  /**
   * The runs that may have news: those running now, those finished since `since`, and those
   * that were running at the last look.
   */
  async #runsToLookAt(wanted: Set<string> | undefined, since: number): Promise<RunRecord[]> {
    const only = wanted?.size === 1 ? { project: [...wanted][0] } : {};
    const running = await this.store.listRuns({ ...only, state: "running" });
    const recent = await this.store.listRuns({
      ...only,
      where: [{ path: "finishedAt", op: ">=", value: since - 1_000 }],
    });
    const runs = new Map<string, RunRecord>();
    for (const r of [...running.runs, ...recent.runs]) runs.set(r.id, r);
    // A run that stopped running without a finishedAt (a bare state patch) is still news.
    for (const id of this.#running) {
      if (!runs.has(id)) {
        const r = await this.store.getRun(id);
        if (r) runs.set(id, r);
      }
    }
    this.#running = new Set(running.runs.map((r) => r.id));
    return [...runs.values()];
  }

  /** What is new in `runs` against what was seen, which then becomes what was seen. */
  async #changesOf(runs: readonly RunRecord[], wanted: Set<string> | undefined): Promise<Changes> {
    const changes: Changes = { runs: [], points: [] };
    for (const r of runs) {
      if (wanted && !wanted.has(r.project)) continue;
      const fp = encodeJson([r.state, r.exitCode, r.summary, r.config, r.tags, r.notes, r.name]);
      const prev = this.#seen.get(r.id);
      // A run first seen now: stream its history from 0 if it was created after we started
      // watching (a client could not have fetched it yet), else from where it is.
      const from = prev ? prev.nextStep : r.createdAt >= this.#startedAt ? 0 : r.nextStep;
      const truncated = r.nextStep > from && (await this.#readPoints(r, from, changes.points));
      if (!prev || prev.fp !== fp || r.nextStep !== prev.nextStep) {
        changes.runs.push(truncated ? { run: r, historyTruncated: true } : { run: r });
      }
      this.#seen.set(r.id, { fp, nextStep: Math.max(r.nextStep, from), project: r.project });
    }
    return changes;
  }

  /**
   * Appends run `r`'s numeric and boolean points from step `from` to `points`, at most the last
   * MAX_ROWS_PER_TICK rows; true when older rows were left out (the client then refetches).
   */
  async #readPoints(r: RunRecord, from: number, points: HistoryPoint[]): Promise<boolean> {
    const minStep = Math.max(from, r.nextStep - MAX_ROWS_PER_TICK);
    const rows = await this.store.readHistory(r.id, { minStep, limit: MAX_ROWS_PER_TICK });
    for (const row of rows) {
      for (const [key, value] of Object.entries(row.values)) {
        if (typeof value === "number" || typeof value === "boolean") {
          points.push({ run: r.id, key, step: row.step, value, time: row.timestamp * 1000 });
        }
      }
    }
    return minStep > from;
  }

  /** Each subscriber gets the changes of its project (or all). */
  #send(changes: Changes): void {
    const projectOf = (id: string) => this.#seen.get(id)?.project;
    for (const sub of this.#subs) {
      for (const ev of changes.runs) {
        if (sub.project === undefined || ev.run.project === sub.project) sub.send("run", ev);
      }
      const mine =
        sub.project === undefined
          ? changes.points
          : changes.points.filter((p) => projectOf(p.run) === sub.project);
      if (mine.length > 0) sub.send("history", mine);
    }
  }
}
