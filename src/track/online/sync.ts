/**
 * Delivery of spools left by processes that exited before the server took their data
 * (`amltk sync`, and in the background at every online `init`). A spool whose writer is still
 * alive is left to it; a spool is delivered by one process at a time (its `lock` file).
 */
import { Outbox } from "./outbox.js";
import { ownerGone, Spool } from "./spool.js";

export interface SyncOptions {
  /** Run folder root holding `spool/` (default env AMLTK_DIR, then "./amltk-runs"). */
  dir?: string;
  /** Server to deliver to; default each spool's own (the one its run was writing to). */
  baseUrl?: string;
  apiKey?: string;
  /** Only spools whose recorded server is this one (used by `init`, which knows its server). */
  onlyBaseUrl?: string;
}

export interface SyncHandle {
  /** Spools being delivered. */
  spools: { runId: string; writer: string; segments: number }[];
  /** Resolves when all are delivered; with `timeoutMs`, resolves false when time runs out first. */
  done(timeoutMs?: number): Promise<boolean>;
}

/** Starts delivering every orphaned spool under `dir`; returns at once. */
export function deliverSpools(opts: SyncOptions = {}): SyncHandle {
  const dir = opts.dir ?? process.env.AMLTK_DIR ?? "./amltk-runs";
  const boxes: Outbox[] = [];
  for (const spool of Spool.list(dir)) {
    const meta = spool.meta;
    if (opts.onlyBaseUrl !== undefined && meta.baseUrl !== opts.onlyBaseUrl) continue;
    if (!ownerGone(meta)) continue;
    if (spool.segments().length === 0) {
      spool.cleanup();
      continue;
    }
    if (!spool.lock()) continue;
    const box = new Outbox(
      spool,
      { baseUrl: opts.baseUrl ?? meta.baseUrl, apiKey: opts.apiKey ?? process.env.AMLTK_API_KEY },
      true,
    );
    boxes.push(box);
    // Closing marks it for cleanup once idle; zero timeout: nothing to wait for here.
    void box.settle(false).then(() => {
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
    async done(timeoutMs?: number): Promise<boolean> {
      const all = Promise.all(boxes.map((b) => b.settle(false))).then(() => true);
      if (timeoutMs === undefined) return all;
      let timer: NodeJS.Timeout | undefined;
      const out = await Promise.race([
        all,
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(false), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      return out;
    },
  };
}
