/** The decoded-chunk cache: a copy serves reads of up to as many points as it holds. */
import { describe, expect, it } from "vitest";
import type { DecodedChunk } from "../chunk-buckets.js";
import { ChunkCache } from "./series-cache.js";

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
