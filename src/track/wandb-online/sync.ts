/**
 * Sends the spools that processes left (killed, or ended before the server answered): by the
 * next W&B-online `init` in the same folder, in the background, and by `amltk sync`
 * (`syncWandbSpools`). A spool whose owner still runs is left to it. A spool delivered in full
 * is removed; a run whose process died without closing it stays running on the server until
 * the server's heartbeat check marks it crashed.
 */
import { hostname } from "node:os";
import { ownerDead } from "../../store/owner.js";
import { WandbSender } from "./sender.js";
import { isActiveSpool, WandbSpool } from "./spool.js";

/**
 * Options of {@link syncWandbSpools}.
 *
 * @example
 * ```ts
 * const o: WandbSyncOptions = { dir: "./amltk-runs", apiKey: process.env.WANDB_API_KEY, timeoutMs: 30_000 };
 * ```
 */
export interface WandbSyncOptions {
  /** Run folder root whose `wandb-spool/` is sent. */
  dir: string;
  apiKey: string | undefined;
  /** Only spools for this server (default: all). */
  onlyBaseUrl?: string;
  /** How long to keep trying each spool, in ms. */
  timeoutMs: number;
}

/**
 * What {@link syncWandbSpools} did, per spool: the run, where it went, and whether it is all
 * delivered (then removed) or left for later.
 *
 * @example
 * ```ts
 * const report: WandbSyncReport[] = await syncWandbSpools({ dir, apiKey, timeoutMs: 30_000 });
 * for (const r of report) console.log(r.runId, r.delivered ? "sent" : "left");
 * ```
 */
export interface WandbSyncReport {
  runId: string;
  baseUrl: string;
  delivered: boolean;
  lines: number;
}

function ownedByLiveProcess(s: WandbSpool): boolean {
  if (s.run.pid === process.pid && s.run.host === hostname()) return isActiveSpool(s.dir);
  return !ownerDead({ pid: s.run.pid, host: s.run.host, ownerStart: s.run.ownerStart });
}

/**
 * Sends every spool under `dir` whose owner is gone.
 *
 * @example
 * ```ts
 * for (const r of await syncWandbSpools({ dir: "./amltk-runs", apiKey: process.env.WANDB_API_KEY, timeoutMs: 30_000 }))
 *   console.log(`${r.runId}: ${r.delivered ? "delivered" : "left in the spool"}`);
 * ```
 */
export async function syncWandbSpools(o: WandbSyncOptions): Promise<WandbSyncReport[]> {
  const out: WandbSyncReport[] = [];
  for (const dir of WandbSpool.list(o.dir)) {
    const spool = WandbSpool.open(dir);
    if (!spool || ownedByLiveProcess(spool)) continue;
    if (o.onlyBaseUrl !== undefined && spool.run.baseUrl !== o.onlyBaseUrl) continue;
    const before = Object.values(spool.acked.files).reduce((n, f) => n + f.line, 0);
    const sender = new WandbSender(spool, o.apiKey);
    // The owner is gone: nothing more comes, so what is spooled is all there is to send.
    const delivered = await sender.drain(o.timeoutMs);
    sender.stop();
    const after = Object.values(spool.acked.files).reduce((n, f) => n + f.line, 0);
    if (delivered) spool.remove();
    out.push({
      runId: spool.run.runId,
      baseUrl: spool.run.baseUrl,
      delivered,
      lines: after - before,
    });
  }
  return out;
}

/** The background delivery an `init` starts; never throws. */
export async function deliverLeftovers(o: WandbSyncOptions): Promise<void> {
  try {
    await syncWandbSpools(o);
  } catch {
    // best effort: `amltk sync` reports what is left
  }
}
