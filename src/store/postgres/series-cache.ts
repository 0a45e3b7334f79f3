/** The caches of `PostgresStore`'s series reads: computed series, and decoded chunks. */
import type { DecodedChunk } from "../chunk-buckets.js";
import type { SeriesBucket, SeriesQuery } from "../types.js";

/** ~500,000 buckets: a few dozen MB, a hundred 100-run charts (the SQLite store's budget). */
const CACHE_BUCKETS = 500_000;

/**
 * Computed series buckets by (run, key, query shape). An entry holds while its run's series are
 * unchanged: it carries the run's stamp (`PostgresStore`'s count of this process's commits that
 * wrote that run's history) from before it was read, and a read with another stamp recomputes it.
 * Another process's write drops every entry when its NOTIFY arrives (within ~50 ms: `at`). So a
 * live chart of 20 runs recomputes only the runs written since it last asked, and a dashboard
 * reloading a finished sweep is served from memory. Least recently used entries go past a bucket
 * budget.
 */
export class SeriesCache {
  #version: string | undefined;
  /** `buckets` undefined: a live run's mark (see {@link SeriesCache.set}). */
  readonly #entries = new Map<string, { buckets: SeriesBucket[] | undefined; stamp: number }>();
  #size = 0;

  constructor(private readonly maxBuckets = CACHE_BUCKETS) {}

  /** The entry id of one (run, key) of a query. */
  static idOf(q: SeriesQuery, runId: string, key: string): string {
    return [q.source ?? "history", q.x, q.buckets, q.minX, q.maxX, runId, key].join("\u0000");
  }

  /**
   * Drops everything when `version` moved: another process changed the store since
   * (`ChangeCounter.foreign`), or the store forgot its run stamps.
   */
  at(version: string): this {
    if (version !== this.#version) this.clear(version);
    return this;
  }

  /** Drops every entry. */
  clear(version = this.#version): void {
    this.#entries.clear();
    this.#size = 0;
    this.#version = version;
  }

  /** Whether entries computed now may be kept (no other process wrote during the read). */
  stillAt(version: string): boolean {
    return version === this.#version;
  }

  /** The entry, when it was computed at the run's current `stamp`. */
  get(id: string, stamp: number): SeriesBucket[] | undefined {
    const e = this.#entries.get(id);
    if (!e?.buckets || e.stamp !== stamp) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, e);
    return e.buckets;
  }

  /**
   * Keeps the buckets computed at `stamp`, unless the run is live: it was written since its
   * series were last computed (an entry with another stamp). A live chart's runs change between
   * any two reads, so keeping their buckets only cost a copy per read and old objects for the
   * GC to move; a live run is marked instead, and kept once it was not written between two
   * computations. Answers whether the buckets were kept (the caller must not hand them out then).
   */
  set(id: string, buckets: SeriesBucket[], stamp: number): boolean {
    const old = this.#entries.get(id);
    if (old) this.#size -= (old.buckets?.length ?? 0) + 1;
    const live = old !== undefined && old.stamp !== stamp;
    this.#entries.delete(id);
    this.#entries.set(id, { buckets: live ? undefined : buckets, stamp });
    this.#size += (live ? 0 : buckets.length) + 1;
    for (const [k, e] of this.#entries) {
      if (this.#size <= this.maxBuckets) break;
      this.#entries.delete(k);
      this.#size -= (e.buckets?.length ?? 0) + 1;
    }
    return !live;
  }
}

/** ~2,000,000 points (16-32 MB): the chunks of a few 100-run charts of long runs. */
const CACHE_POINTS = 2_000_000;

/**
 * Decoded history chunks by (axis, chunk id), kept across writes: a chunk only ever grows at its
 * end (small writes join it, `chunk-merge.ts`) and ids are never reused, so a copy holding at
 * least the `n` points a read's chunk list names is exactly that chunk's first `n` points (the
 * bucketing reads no further). A live chart then fetches only the chunks that grew since it last
 * asked, not every chunk of every live run. Least recently used chunks go past a point budget;
 * `clear` when the database may have been replaced (the listening connection was lost).
 */
export class ChunkCache {
  readonly #entries = new Map<string, DecodedChunk>();
  #points = 0;
  /** Per axis, the newest chunk id ever kept: chunks written after it are not here. */
  readonly #newest = new Map<"step" | "time", number>();

  constructor(private readonly maxPoints = CACHE_POINTS) {}

  static #id(x: "step" | "time", id: number): string {
    return `${x}:${id}`;
  }

  /** The chunk's points, when the copy holds at least `n` of them. */
  get(x: "step" | "time", id: number, n: number): DecodedChunk | undefined {
    const key = ChunkCache.#id(x, id);
    const e = this.#entries.get(key);
    if (!e || e.v.length < n) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e;
  }

  /**
   * The newest chunk id kept for axis `x` (evicted or not), -1 before any: every chunk with a
   * larger id is missing here, so a read can fetch those with its chunk list (`series.ts`).
   */
  newest(x: "step" | "time"): number {
    return this.#newest.get(x) ?? -1;
  }

  set(x: "step" | "time", id: number, chunk: DecodedChunk): void {
    if (id > this.newest(x)) this.#newest.set(x, id);
    const key = ChunkCache.#id(x, id);
    const old = this.#entries.get(key);
    if (old) this.#points -= old.v.length;
    this.#entries.delete(key);
    this.#entries.set(key, chunk);
    this.#points += chunk.v.length;
    for (const [k, e] of this.#entries) {
      if (this.#points <= this.maxPoints) break;
      this.#entries.delete(k);
      this.#points -= e.v.length;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#newest.clear();
    this.#points = 0;
  }
}
