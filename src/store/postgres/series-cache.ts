/**
 * Computed series buckets by (run, key, query shape), valid while the store's `changeVersion`
 * stays the same: a dashboard reloading a finished sweep asks for the same charts again, and
 * they are served from memory. A write by this process changes the version at commit; one by
 * another server process when its NOTIFY arrives (within ~50 ms), after which every entry is
 * dropped. Least recently used entries go past a bucket budget.
 */
import type { SeriesBucket, SeriesQuery } from "../types.js";

/** ~500,000 buckets: a few dozen MB, a hundred 100-run charts (the SQLite store's budget). */
const CACHE_BUCKETS = 500_000;

export class SeriesCache {
  #version: number | undefined;
  readonly #entries = new Map<string, SeriesBucket[]>();
  #size = 0;

  constructor(private readonly maxBuckets = CACHE_BUCKETS) {}

  /** The entry id of one (run, key) of a query. */
  static idOf(q: SeriesQuery, runId: string, key: string): string {
    return [q.source ?? "history", q.x, q.buckets, q.minX, q.maxX, runId, key].join("\u0000");
  }

  /** Drops everything when the store changed since the entries were computed. */
  at(version: number): this {
    if (version !== this.#version) {
      this.#entries.clear();
      this.#size = 0;
      this.#version = version;
    }
    return this;
  }

  /** Whether entries computed now may be kept (the version did not move during the read). */
  stillAt(version: number): boolean {
    return version === this.#version;
  }

  get(id: string): SeriesBucket[] | undefined {
    const e = this.#entries.get(id);
    if (e) {
      this.#entries.delete(id);
      this.#entries.set(id, e);
    }
    return e;
  }

  set(id: string, buckets: SeriesBucket[]): void {
    const old = this.#entries.get(id);
    if (old) this.#size -= old.length + 1;
    this.#entries.delete(id);
    this.#entries.set(id, buckets);
    this.#size += buckets.length + 1;
    for (const [k, e] of this.#entries) {
      if (this.#size <= this.maxBuckets) break;
      this.#entries.delete(k);
      this.#size -= e.length + 1;
    }
  }
}
