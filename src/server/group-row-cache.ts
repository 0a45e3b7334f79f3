/**
 * Grouped charts' grid rows kept between requests (`group-reads.ts`), per run: a row is valid
 * while that run's points of the key are unchanged (`keyVersionRows`: a token from the chunks'
 * covering index), whatever else the database saw. So after a write to another run or another
 * project, a grouped chart over 1,000 runs reads only the rows whose run changed instead of
 * every run's chunks again (the response cache in `group-series.ts` is dropped on ANY change).
 * A row also names its grid (key, axis, range, buckets, offset): a new common range (a run
 * logged past the old end) is a new grid, read afresh.
 */
import type { LastGrid } from "../store/sqlite/last-grid.js";

/** Rows kept at most (each `buckets` floats: 20,000 rows of 200 buckets is 32 MB). */
const MAX_ROWS = 20_000;

/** One run's cached row of one grid. */
interface Row {
  version: string;
  last: Float64Array;
  /** Its NaN/±Infinity counts (3 per bucket), or null when it has none. */
  nonFinite: Float64Array | null;
}

/** The grid a row belongs to (everything but the run; API units). */
export interface GridShape {
  key: string;
  x: string;
  lo: number;
  hi: number;
  buckets: number;
}

/** The most recently used rows, by run and grid. */
export class GroupRowCache {
  private readonly rows = new Map<string, Row>();

  private static id(runId: string, shape: GridShape, offset: number): string {
    return `${runId}\u0000${shape.key}\u0000${shape.x}\u0000${shape.lo}\u0000${shape.hi}\u0000${shape.buckets}\u0000${offset}`;
  }

  /** The row of `runId` on `shape` if it was read at `version` (an empty version never hits). */
  get(runId: string, shape: GridShape, offset: number, version: string): Row | undefined {
    if (version === "") return undefined;
    const id = GroupRowCache.id(runId, shape, offset);
    const row = this.rows.get(id);
    if (!row || row.version !== version) return undefined;
    this.rows.delete(id);
    this.rows.set(id, row);
    return row;
  }

  /** Keeps row `r` of `grid` (read at `version`), copied out of the grid's buffers. */
  set(grid: LastGrid, r: number, shape: GridShape, offset: number, version: string): void {
    if (version === "") return;
    const n = grid.buckets;
    const odd = grid.nonFinite?.subarray(r * n * 3, (r + 1) * n * 3);
    const id = GroupRowCache.id(grid.runIds[r]!, shape, offset);
    this.rows.delete(id);
    this.rows.set(id, {
      version,
      last: grid.last.slice(r * n, (r + 1) * n),
      nonFinite: odd?.some((c) => c > 0) ? odd.slice() : null,
    });
    while (this.rows.size > MAX_ROWS) this.rows.delete(this.rows.keys().next().value!);
  }
}
