/**
 * The SQLite store's side of the shared bucketing (`../chunk-buckets.ts`): a chunk's points are
 * read from its packed Float64 BLOBs when the bucketing needs them.
 *
 * @module
 */

import type { Statement } from "better-sqlite3";
import {
  bucketChunks as bucketDecoded,
  type ChunkMeta,
  type DecodedChunk,
} from "../chunk-buckets.js";
import type { SeriesBucket, SeriesQuery } from "../types.js";
import { chunkSteps, f64 } from "./chunks.js";

export type { ChunkMeta, DecodedChunk } from "../chunk-buckets.js";

/**
 * The buckets of one (run, key) from its chunks `all` (in step order), reading a chunk's BLOBs
 * with `dataStmt` (by id) only when it must. `decoded` holds chunks already decoded by the
 * caller; chunks decoded here are added to it.
 */
export function bucketChunks(
  q: SeriesQuery,
  all: ChunkMeta[],
  dataStmt: Statement<unknown[]>,
  decoded = new Map<number, DecodedChunk>(),
): SeriesBucket[] {
  const byTime = q.x === "time";
  const decode = (m: ChunkMeta): DecodedChunk => {
    const r = dataStmt.get(m.id) as { steps: Buffer | null; vals: Buffer; ts: Buffer | null };
    // Consecutive steps (no steps BLOB) need no x array: x = min_step + i.
    const consecutive = !byTime && r.steps === null;
    return {
      consecutive,
      x: byTime ? f64(r.ts!) : consecutive ? null : chunkSteps(r.steps, m.min_step, m.n),
      v: f64(r.vals),
    };
  };
  return bucketDecoded(q, all, decode, decoded);
}
