/**
 * Which parts of a resumed W&B run are already in the store, so that importing the parts in
 * separate commands merges each later part once. Kept in the store's ingest ledger (the one the
 * server's exactly-once writes use), so a part's mark commits with its rows: one entry per part
 * (keyed by its start time) and one for the latest part's start.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import type { RunRecord, StoreTransaction } from "../store/types.js";
import { WandbPartOrderError } from "./errors.js";

/** One `.wandb` file of a run and when its part started (epoch ms; +Infinity when unknown). */
export interface RunPart {
  file: string;
  start: number;
}

const LATEST_PART = "wandb-import:latest-part";
const partWriter = (start: number) => `wandb-import:part:${start}`;

type Ledger = Pick<StoreTransaction, "ingestSeq" | "setIngestSeq">;

/** Marks `parts` as imported into run `runId`. Parts without a known start are not marked. */
export async function markPartsImported(
  tx: Ledger,
  runId: string,
  parts: readonly RunPart[],
): Promise<void> {
  const starts = parts.map((p) => p.start).filter((t) => Number.isSafeInteger(t));
  if (starts.length === 0) return;
  for (const t of starts) await tx.setIngestSeq(runId, partWriter(t), 1);
  const latest = (await tx.ingestSeq(runId, LATEST_PART)) ?? Number.NEGATIVE_INFINITY;
  await tx.setIngestSeq(runId, LATEST_PART, Math.max(latest, ...starts));
}

/**
 * The parts of `parts` not yet in `stored`, which must all have started after the latest part
 * stored. A part already imported is left out (so importing it again changes nothing); an
 * earlier part not yet imported throws `WandbPartOrderError` naming its folder. A run with no
 * marks (imported before parts were marked, or written by a tracker) holds every part that
 * started by its last row (`lastRowMs`): only later ones are merged.
 */
export async function partsToMerge(
  tx: Ledger,
  stored: RunRecord,
  parts: readonly RunPart[],
  lastRowMs: number | undefined,
): Promise<RunPart[]> {
  const latest = await tx.ingestSeq(stored.id, LATEST_PART);
  if (latest === undefined) {
    const held = Math.max(stored.createdAt, lastRowMs ?? Number.NEGATIVE_INFINITY);
    return parts.filter((p) => p.start > held);
  }
  const fresh: RunPart[] = [];
  for (const p of parts) {
    if ((await tx.ingestSeq(stored.id, partWriter(p.start))) !== undefined) continue;
    if (!(p.start > latest)) throw outOfOrder(stored, p, latest);
    fresh.push(p);
  }
  return fresh;
}

function outOfOrder(stored: RunRecord, p: RunPart, latest: number): WandbPartOrderError {
  const when = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString() : "an unknown time");
  return new WandbPartOrderError(
    `run ${stored.id}: the part in ${basename(dirname(p.file))} started at ${when(p.start)}, ` +
      `before the part already in the store (started ${when(latest)}); its rows cannot go ` +
      `after the stored ones. Import all the run's folders in one command with --force ` +
      `(it replaces the stored run and merges the parts in start-time order)`,
  );
}
