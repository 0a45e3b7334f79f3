/**
 * Messages between a {@link SqliteReadPool} and its threads. Answers travel by structured
 * clone, except the two big numeric ones: series buckets and numeric points go as one
 * Float64Array each, transferred (no copy), because cloning tens of thousands of small objects
 * would cost the main thread about what the query saved it.
 */
import type { Point, Series, SeriesBucket } from "../types.js";
import { StoreError, type StoreErrorCode } from "../types.js";
import type { PoolRead } from "./read-pool-queries.js";

/** A read asked of a thread. */
export interface ReadRequest {
  id: number;
  method: PoolRead;
  args: unknown[];
}

/** An error as it crosses the thread boundary. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
}

/** A thread's answer to a {@link ReadRequest}. */
export type ReadReply =
  | { id: number; answer: unknown; packed?: "series" | "points" }
  | { id: number; error: WireError };

/** What a thread says once, after start-up. */
export type ThreadHello = { ready: true } | { failed: string };

/**
 * Series as names plus one column of (x, min, max, last, count, nan, +inf, -inf) per bucket;
 * the non-finite counts are 0 where a bucket has none (it then gets no `nonFinite`).
 */
interface PackedSeries {
  names: { runId: string; key: string; n: number }[];
  data: Float64Array;
}

/** Numeric points as one column of (step, timestamp, value). */
interface PackedPoints {
  data: Float64Array;
}

/**
 * The answer of `method` in the form a thread posts it, and the buffers to transfer.
 * `answer` is a `PoolAnswer` (`{ value }` or `{ reap }`).
 */
export function packAnswer(
  method: PoolRead,
  answer: { value: unknown } | { reap: string[] },
): { answer: unknown; packed?: "series" | "points"; transfer: ArrayBuffer[] } {
  if (!("value" in answer)) return { answer, transfer: [] };
  if (method === "readSeries") {
    const p = packSeries(answer.value as Series[]);
    return { answer: { value: p }, packed: "series", transfer: [p.data.buffer as ArrayBuffer] };
  }
  if (method === "readPoints") {
    const points = answer.value as Point[];
    if (points.every((p) => typeof p.value === "number")) {
      const p = packPoints(points);
      return { answer: { value: p }, packed: "points", transfer: [p.data.buffer as ArrayBuffer] };
    }
  }
  return { answer, transfer: [] };
}

/** The inverse of {@link packAnswer}, on the main thread. */
export function unpackAnswer(reply: { answer: unknown; packed?: "series" | "points" }): unknown {
  if (reply.packed === undefined) return reply.answer;
  const { value } = reply.answer as { value: unknown };
  if (reply.packed === "series") return { value: unpackSeries(value as PackedSeries) };
  return { value: unpackPoints(value as PackedPoints) };
}

/** Numbers per bucket in a packed series. */
const BUCKET_WIDTH = 8;

function packSeries(series: Series[]): PackedSeries {
  let total = 0;
  for (const s of series) total += s.buckets.length;
  const data = new Float64Array(total * BUCKET_WIDTH);
  let i = 0;
  for (const s of series) {
    for (const b of s.buckets) {
      data[i] = b.x;
      data[i + 1] = b.min;
      data[i + 2] = b.max;
      data[i + 3] = b.last;
      data[i + 4] = b.count;
      const nf = b.nonFinite;
      if (nf) {
        data[i + 5] = nf.nan;
        data[i + 6] = nf.posInf;
        data[i + 7] = nf.negInf;
      }
      i += BUCKET_WIDTH;
    }
  }
  return { names: series.map((s) => ({ runId: s.runId, key: s.key, n: s.buckets.length })), data };
}

function unpackSeries(p: PackedSeries): Series[] {
  let i = 0;
  const d = p.data;
  return p.names.map(({ runId, key, n }) => {
    const buckets: SeriesBucket[] = new Array(n);
    for (let b = 0; b < n; b++, i += BUCKET_WIDTH) {
      const one: SeriesBucket = {
        x: d[i]!,
        min: d[i + 1]!,
        max: d[i + 2]!,
        last: d[i + 3]!,
        count: d[i + 4]!,
      };
      if (d[i + 5]! + d[i + 6]! + d[i + 7]! > 0) {
        one.nonFinite = { nan: d[i + 5]!, posInf: d[i + 6]!, negInf: d[i + 7]! };
      }
      buckets[b] = one;
    }
    return { runId, key, buckets };
  });
}

function packPoints(points: Point[]): PackedPoints {
  const data = new Float64Array(points.length * 3);
  for (let i = 0, j = 0; i < points.length; i++, j += 3) {
    const p = points[i]!;
    data[j] = p.step;
    data[j + 1] = p.timestamp;
    data[j + 2] = p.value as number;
  }
  return { data };
}

function unpackPoints(p: PackedPoints): Point[] {
  const d = p.data;
  const out: Point[] = new Array(d.length / 3);
  for (let i = 0, j = 0; i < out.length; i++, j += 3) {
    out[i] = { step: d[j]!, timestamp: d[j + 1]!, value: d[j + 2]! };
  }
  return out;
}

/** An error thrown in a thread, as it is posted. */
export function toWireError(err: unknown): WireError {
  const e = err as { name?: unknown; message?: unknown; code?: unknown };
  return {
    name: typeof e?.name === "string" ? e.name : "Error",
    message: typeof e?.message === "string" ? e.message : String(err),
    ...(typeof e?.code === "string" ? { code: e.code } : {}),
  };
}

/** The error a read rejects with on the main thread: a StoreError stays one, code and all. */
export function fromWireError(w: WireError): Error {
  if (w.name === "StoreError" && w.code !== undefined) {
    return new StoreError(w.message, w.code as StoreErrorCode);
  }
  const err = new Error(w.message);
  err.name = w.name;
  if (w.code !== undefined) Object.assign(err, { code: w.code });
  return err;
}
