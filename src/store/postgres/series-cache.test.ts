/** The decoded-chunk cache: a copy serves reads of up to as many points as it holds. */
import { describe, expect, it } from "vitest";
import type { DecodedChunk } from "../chunk-buckets.js";
import type { SeriesBucket } from "../types.js";
import { ChunkCache, SeriesCache } from "./series-cache.js";

const chunk = (n: number): DecodedChunk => ({
  consecutive: true,
  x: null,
  v: new Float64Array(n).map((_, i) => i),
});

describe("ChunkCache", () => {
  it("serves a chunk only to reads of no more points than the copy holds, per axis", () => {
    const c = new ChunkCache(1000);
    c.set("step", 7, chunk(100));
    expect(c.get("step", 7, 100)?.v.length).toBe(100);
    expect(c.get("step", 7, 60)?.v.length).toBe(100); // a read made before the chunk grew
    expect(c.get("step", 7, 101)).toBeUndefined(); // the chunk grew since: fetch it again
    expect(c.get("time", 7, 10)).toBeUndefined();
    expect(c.get("step", 8, 1)).toBeUndefined();
  });

  it("drops the least recently used chunks past its point budget, and all on clear", () => {
    const c = new ChunkCache(250);
    c.set("step", 1, chunk(100));
    c.set("step", 2, chunk(100));
    c.get("step", 1, 1); // 1 is now the most recent
    c.set("step", 3, chunk(100));
    expect(c.get("step", 2, 1)).toBeUndefined();
    expect(c.get("step", 1, 1)).toBeDefined();
    expect(c.get("step", 3, 1)).toBeDefined();
    c.set("step", 3, chunk(200)); // replaced by a longer copy: 300 points, over budget
    expect(c.get("step", 1, 1)).toBeUndefined();
    expect(c.get("step", 3, 200)).toBeDefined();
    c.clear();
    expect(c.get("step", 3, 1)).toBeUndefined();
  });
});

describe("SeriesCache", () => {
  const b = (x: number): SeriesBucket[] => [{ x, min: x, max: x, last: x, count: 1 }];

  it("keeps no buckets of a run written between two computations, until it goes quiet", () => {
    const c = new SeriesCache().at("v");
    expect(c.set("r", b(1), 1)).toBe(true); // first computation: kept
    expect(c.get("r", 1)).toEqual(b(1));
    expect(c.set("r", b(2), 2)).toBe(false); // written since: live, not kept
    expect(c.get("r", 2)).toBeUndefined();
    expect(c.set("r", b(3), 3)).toBe(false);
    expect(c.set("r", b(3), 3)).toBe(true); // not written since the last computation: kept
    expect(c.get("r", 3)).toEqual(b(3));
    expect(c.get("r", 4)).toBeUndefined(); // a later stamp: recomputed
  });
});
