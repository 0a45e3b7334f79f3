/**
 * Delivery of spools that online writers left behind (`amltk sync`, and in the background at
 * every online `init`): spools of processes that exited, and spools of runs this process
 * finished before the server took everything. A spool whose writer is still alive is left to
 * it; a spool is delivered by one process at a time (its `lock` file). Nothing undelivered is
 * ever deleted: a segment goes only once the server acknowledged all of it.
 */
import { hostname } from "node:os";
import { defaultStoreDir } from "../init-options.js";
import { liveOutboxes, type OpCounts, Outbox, opPoints } from "./outbox.js";
import { ownerGone, Spool } from "./spool.js";

export interface SyncOptions {
  /** Run folder root holding `spool/` (default env AMLTK_DIR, then "./amltk-runs"). */
  dir?: string;
  /** Server to deliver to; default each spool's own (the one its run was writing to). */
  baseUrl?: string;
  apiKey?: string;
  /** Only spools whose recorded server is this one (used by `init`, which knows its server). */
  onlyBaseUrl?: string;
  /** Per-request timeout (default 60 000 ms). */
  requestTimeoutMs?: number;
}

/** What became of one spool (one run, one writer). */
export interface SpoolReport {
  runId: string;
  writer: string;
  path: string;
  /** "skipped": not this process's to deliver (its writer is alive, or another sync holds it). */
  status: "delivered" | "undelivered" | "skipped";
  /** Acknowledged by the server during this sync. */
  delivered: OpCounts;
  /** Still in the spool. */
  left: OpCounts;
  /** Why something is left. */
  reason?: string;
}

export interface SyncHandle {
  /** Spools being delivered. */
  spools: { runId: string; writer: string; segments: number }[];
  /**
   * Resolves true when every spool taken is delivered; false as soon as one is refused for good
   * or, with `idleTimeoutMs`, when the server acknowledged nothing for that long.
   */
  done(idleTimeoutMs?: number): Promise<boolean>;
  /** Resolves when every spool taken is delivered, refused or stopped, or (`untilDown`) a send failed. */
  settled(untilDown: boolean): Promise<void>;
  /** Stops delivery (aborting requests in flight), releases the spools, and reports on each. */
  stop(why?: string): SpoolReport[];
}

/** Starts delivering every orphaned spool under `dir`; returns at once. */
export function deliverSpools(opts: SyncOptions = {}): SyncHandle {
  const dir = opts.dir ?? defaultStoreDir();
  const boxes: Outbox[] = [];
  // Counted only when reported: `init` skips other live writers' spools on every start.
  const skipped: { spool: Spool; reason: string }[] = [];
  const progress = new Set<() => void>();
  for (const spool of Spool.list(dir)) {
    const meta = spool.meta;
    if (opts.onlyBaseUrl !== undefined && meta.baseUrl !== opts.onlyBaseUrl) continue;
    const busy = whyNotOurs(spool);
    if (busy !== undefined) {
      skipped.push({ spool, reason: busy });
      continue;
    }
    if (spool.segments().length === 0) {
      spool.cleanup();
      continue;
    }
    if (!spool.lock()) {
      skipped.push({ spool, reason: "being delivered by another process (lock file)" });
      continue;
    }
    const box = new Outbox(
      spool,
      {
        baseUrl: opts.baseUrl ?? meta.baseUrl,
        apiKey: opts.apiKey ?? process.env.AMLTK_API_KEY,
        requestTimeoutMs: opts.requestTimeoutMs,
        createPending: (runId) => createPending(dir, runId),
        onProgress: () => {
          for (const p of progress) p();
        },
      },
      true,
    );
    boxes.push(box);
    void box.settle(false).then(() => {
      if (!box.idle) return; // refused or stopped: keep the lock until stop() reports
      spool.unlock();
      spool.cleanup();
    });
  }
  return {
    spools: boxes.map((b) => ({
      runId: b.runId,
      writer: b.writer,
      segments: b.spool.segments().length,
    })),
    done(idleTimeoutMs?: number): Promise<boolean> {
      const all = Promise.all(boxes.map((b) => b.settle(false))).then(() =>
        boxes.every((b) => b.idle),
      );
      if (idleTimeoutMs === undefined) return all;
      return new Promise<boolean>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const arm = () => {
          clearTimeout(timer);
          timer = setTimeout(() => resolve(false), idleTimeoutMs);
        };
        progress.add(arm);
        arm();
        void all.then((ok) => {
          clearTimeout(timer);
          progress.delete(arm);
          resolve(ok);
        });
      });
    },
    async settled(untilDown: boolean): Promise<void> {
      await Promise.all(boxes.map((b) => b.settle(untilDown)));
    },
    stop(why = "stopped before the server acknowledged everything"): SpoolReport[] {
      const out = boxes.map((b) => {
        b.stop();
        b.spool.unlock();
        if (b.idle) {
          b.spool.cleanup();
          return report(b.spool, "delivered", b.delivered, { ops: 0, points: 0 });
        }
        const left = b.left();
        const reason = b.blocked ?? (b.lastError ? `${b.lastError}; ${why}` : why);
        const unreadable = left.unreadable > 0 ? ` (${left.unreadable} unreadable segment(s))` : "";
        return report(b.spool, "undelivered", b.delivered, left, reason + unreadable);
      });
      const none = { ops: 0, points: 0 };
      return [
        ...out,
        ...skipped.map((s) => report(s.spool, "skipped", none, countSpool(s.spool), s.reason)),
      ];
    },
  };
}

/** Why this process must not deliver `spool` now, or undefined when it may. */
function whyNotOurs(spool: Spool): string | undefined {
  const { pid, host } = spool.meta;
  if (host !== hostname()) return `written on host ${host}; run \`amltk sync\` there`;
  if (pid === process.pid) {
    // Ours: deliverable once the outbox that wrote it has stopped (its run finished).
    for (const o of liveOutboxes()) if (o.spool.path === spool.path) return "being written here";
    return undefined;
  }
  return ownerGone(spool.meta) ? undefined : `its writer (pid ${pid}) is still running`;
}

/** True while some spool of `runId` under `dir` still holds the run's create (seq 1). */
function createPending(dir: string, runId: string): boolean {
  return Spool.list(dir).some(
    (s) => s.meta.runId === runId && /^0{11}1\.jsonl?$/.test(s.segments()[0] ?? ""),
  );
}

/** Ops and points in a spool's segments (unreadable ones not counted). */
function countSpool(spool: Spool): OpCounts {
  const n = { ops: 0, points: 0 };
  for (const seg of spool.segments()) {
    try {
      for (const op of spool.read(seg).ops) {
        n.ops++;
        n.points += opPoints(op);
      }
    } catch {
      // counted as unknown: the report's reason says the spool is kept
    }
  }
  return n;
}

function report(
  spool: Spool,
  status: SpoolReport["status"],
  delivered: OpCounts,
  left: OpCounts,
  reason?: string,
): SpoolReport {
  const { runId, writer } = spool.meta;
  return {
    runId,
    writer,
    path: spool.path,
    status,
    delivered: { ops: delivered.ops, points: delivered.points },
    left: { ops: left.ops, points: left.points },
    ...(reason !== undefined ? { reason } : {}),
  };
}

/**
 * One line per spool for `amltk sync`: what was delivered, what is left and why.
 *
 * @example
 * ```ts
 * const sync = deliverSpools({ dir: "./amltk-runs" });
 * await sync.done(30_000);
 * for (const line of formatSyncReport(sync.stop())) console.log(line);
 * // run r1 (writer wAb): delivered 3 ops, 1200 points; nothing left
 * ```
 */
export function formatSyncReport(reports: readonly SpoolReport[]): string[] {
  return reports.map((r) => {
    const head = `run ${r.runId} (writer ${r.writer}): delivered ${r.delivered.ops} ops, ${r.delivered.points} points`;
    if (r.status === "delivered") return `${head}; nothing left`;
    return `${head}; left ${r.left.ops} ops, ${r.left.points} points in ${r.path}: ${r.reason ?? r.status}`;
  });
}
