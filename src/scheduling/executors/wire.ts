/**
 * The messages between the host and its workers (threads and processes share them), and the
 * checks on data that must cross to a worker.
 */
import { deserialize, serialize } from "node:v8";
import type { ChannelMsg } from "./executor.js";

/** One call as a worker receives it. */
export interface WireJob {
  id: number;
  /** module URL */
  m: string;
  /** export name */
  e: string;
  /** arguments */
  a: unknown[];
  /** present: the call gets a Comm handle as its last argument, with this request timeout (s) */
  c?: number;
  /** 1: the call has limits; say when it starts (after imports), so the clock starts then */
  w?: 1;
}

/** Host -> worker. */
export type HostMsg =
  | { t: "run"; jobs: WireJob[] }
  | { t: "cancel"; id: number }
  | ({ t: "c"; id: number } & ChannelMsg)
  /** Processes: a graceful stop follows; the disconnect after it is not the host dying. */
  | { t: "bye" };

export interface WireError {
  name: string;
  message: string;
  stack?: string;
}

/** Worker -> host. A reply `r` is exactly one of: ok (value v), error e, skipped s. */
export type WorkerMsg =
  | { t: "r"; id: number; ok?: 1; v?: unknown; e?: WireError; s?: 1 }
  | { t: "start"; id: number }
  | ({ t: "c"; id: number } & ChannelMsg)
  | { t: "hello"; tid?: number };

export function serializeError(e: unknown): WireError {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: "Error", message: String(e) };
}

/**
 * An error raised in a worker, rebuilt on the host (name, message and stack are kept; the
 * class is not).
 *
 * @example
 * ```ts
 * task.on("onException", (_f, err) => {
 *   if (err instanceof RemoteError && err.name === "ValueError") retry();
 * });
 * ```
 */
export class RemoteError extends Error {
  constructor(e: WireError) {
    super(e.message);
    this.name = e.name;
    if (e.stack) this.stack = e.stack;
  }
}

function cloneable(v: unknown): boolean {
  try {
    structuredClone(v);
    return true;
  } catch {
    return false;
  }
}

function describe(v: unknown): string {
  if (typeof v === "function") return `a function (${v.name || "anonymous"})`;
  if (typeof v === "symbol") return `a symbol (${String(v)})`;
  const ctor = (v as object | null)?.constructor?.name;
  return ctor ? `a ${ctor}` : typeof v;
}

/**
 * Where in `value` the first part that cannot be structured-cloned sits, e.g.
 * `"config.model (a function (fit))"`; undefined when all of it can be.
 */
export function findUncloneable(value: unknown, path = "value"): string | undefined {
  if (cloneable(value)) return undefined;
  if (value !== null && typeof value === "object") {
    const entries: [string, unknown][] =
      value instanceof Map
        ? [...value.entries()].map(([k, v], i) => [`${path}.get(${String(k)}) [${i}]`, v])
        : value instanceof Set
          ? [...value].map((v, i) => [`${path} [set item ${i}]`, v])
          : Object.entries(value).map(([k, v]) => [
              Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`,
              v,
            ]);
    for (const [p, v] of entries) {
      const found = findUncloneable(v, p);
      if (found) return found;
    }
  }
  return `${path} (${describe(value)})`;
}

/**
 * Thrown when data must cross to or from a worker but cannot be structured-cloned; the
 * message names the part, e.g. `trial.config.model (a function (fit))`.
 *
 * @example
 * ```ts
 * try { task.submit(trialWithAModelInItsConfig); }
 * catch (e) { if (e instanceof UncloneableError) console.error(e.message); }
 * ```
 */
export class UncloneableError extends TypeError {
  constructor(what: string, where: string) {
    super(
      `${what} cannot cross to a worker: ${where} cannot be structured-cloned. Send plain ` +
        `data (numbers, strings, arrays, plain objects, Map, Set, Date, typed arrays).`,
    );
    this.name = "UncloneableError";
  }
}

/**
 * Cheap check for the common case, plain JSON-like data (primitives, arrays, plain objects),
 * which always clones; anything else gets the exact (slower) structured-clone check.
 */
function plainData(v: unknown, depth: number): boolean {
  if (v === null) return true;
  const t = typeof v;
  if (t === "number" || t === "string" || t === "boolean" || t === "undefined") return true;
  if (t !== "object" || depth > 8) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (!plainData(x, depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in v as object) {
    if (!plainData((v as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

/** Throws an {@link UncloneableError} naming the first part of `value` that cannot cross. */
export function assertCloneable(value: unknown, what: string, path = "value"): void {
  if (plainData(value, 0)) return;
  const where = findUncloneable(value, path);
  if (where) throw new UncloneableError(what, where);
}

/**
 * Whether `v` survives `JSON.stringify`/`JSON.parse` unchanged: finite numbers (not -0),
 * strings, booleans, null, dense arrays and plain objects of those (no `undefined` values).
 */
export function jsonSafe(v: unknown, depth = 0): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0);
    case "object": {
      if (depth > 32) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          if (!(i in v) || !jsonSafe(v[i], depth + 1)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k in v as object) {
        if (!jsonSafe((v as Record<string, unknown>)[k], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

const pack = (v: unknown): string => serialize(v).toString("base64");
const unpack = (s: string): unknown => deserialize(Buffer.from(s, "base64"));

/**
 * For a JSON IPC channel (processes: faster than Node's "advanced" serialization for the
 * small messages calls mostly are). A payload (`a` args, `v` value, `d` data) that JSON would
 * change is sent structured-cloned instead, base64 in the upper-case field (`A`, `V`, `D`),
 * so every value crosses exactly as with structured clone. Throws for an uncloneable payload.
 */
export function toJsonWire(msg: HostMsg | WorkerMsg): unknown {
  if (msg.t === "run") {
    let jobs: unknown[] | undefined;
    for (let i = 0; i < msg.jobs.length; i++) {
      const job = msg.jobs[i] as WireJob;
      if (jsonSafe(job.a)) continue;
      jobs ??= [...msg.jobs];
      const { a, ...rest } = job;
      jobs[i] = { ...rest, A: pack(a) };
    }
    return jobs ? { ...msg, jobs } : msg;
  }
  if (msg.t === "r" && msg.v !== undefined && !jsonSafe(msg.v)) {
    const { v, ...rest } = msg;
    return { ...rest, V: pack(v) };
  }
  if (msg.t === "c" && msg.d !== undefined && !jsonSafe(msg.d)) {
    const { d, ...rest } = msg;
    return { ...rest, D: pack(d) };
  }
  return msg;
}

/** The inverse of {@link toJsonWire}. */
export function fromJsonWire<M extends HostMsg | WorkerMsg>(raw: unknown): M {
  const m = raw as Record<string, unknown>;
  if (m.t === "run") {
    for (const job of m.jobs as Record<string, unknown>[]) {
      if (typeof job.A === "string") {
        job.a = unpack(job.A);
        delete job.A;
      }
    }
  } else if (typeof m.V === "string") {
    m.v = unpack(m.V);
    delete m.V;
  } else if (typeof m.D === "string") {
    m.d = unpack(m.D);
    delete m.D;
  }
  return m as M;
}
