/**
 * The messages between the host and its workers (threads and processes share them), and the
 * checks on data that must cross to a worker.
 */
import { deserialize, serialize } from "node:v8";
import { AmltkError } from "../../shared/errors.js";
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
  /** The error's own `code`, when it has a string one (`ENOENT`, an amltk error's code). */
  code?: string;
  /** The error it wraps (its `cause`), a few levels deep. */
  cause?: WireError;
}

/** Worker -> host. A reply `r` is exactly one of: ok (value v), error e, skipped s. */
export type WorkerMsg =
  | { t: "r"; id: number; ok?: 1; v?: unknown; e?: WireError; s?: 1 }
  | { t: "start"; id: number }
  | ({ t: "c"; id: number } & ChannelMsg)
  | { t: "hello"; tid?: number };

/** How many `cause` levels cross with an error: enough for a wrapped error, bounded for a cycle. */
const CAUSE_DEPTH = 4;

export function serializeError(e: unknown, depth = 0): WireError {
  if (!(e instanceof Error)) return { name: "Error", message: String(e) };
  const out: WireError = { name: e.name, message: e.message, stack: e.stack };
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string") out.code = code;
  if (e.cause !== undefined && depth < CAUSE_DEPTH) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

/**
 * An error raised in a worker, rebuilt on the host: name, message and stack are kept (the
 * class is not), the worker error's own `code` is `remoteCode`, and the error it wrapped is
 * `cause`, itself a `RemoteError`. Code `remote_error`.
 *
 * @example
 * ```ts
 * task.on("onException", (_f, err) => {
 *   if (err instanceof RemoteError && err.name === "ValueError") retry();
 *   if (err instanceof RemoteError && err.remoteCode === "ENOENT") console.error("missing file");
 * });
 * ```
 */
export class RemoteError extends AmltkError<"remote_error"> {
  /** The `code` the error had in the worker, when it had a string one. */
  readonly remoteCode: string | undefined;

  constructor(e: WireError) {
    super("remote_error", e.message, e.cause ? { cause: new RemoteError(e.cause) } : undefined);
    this.name = e.name;
    this.remoteCode = e.code;
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
 * message names the part, e.g. `trial.config.model (a function (fit))`. Code `uncloneable`.
 *
 * @example
 * ```ts
 * try { task.submit(trialWithAModelInItsConfig); }
 * catch (e) { if (e instanceof UncloneableError) console.error(e.message); }
 * ```
 */
export class UncloneableError extends AmltkError<"uncloneable"> {
  constructor(what: string, where: string) {
    super(
      "uncloneable",
      `${what} cannot cross to a worker: ${where} cannot be structured-cloned. Send plain ` +
        `data (numbers, strings, arrays, plain objects, Map, Set, Date, typed arrays).`,
    );
    this.name = "UncloneableError";
  }
}

/** Deeper than this, the plain-data walk gives up (and the exact, slower path decides). */
const MAX_PLAIN_DEPTH = 32;

/**
 * The one walk over plain JSON-like data: null and primitives (judged by `leaf`), dense arrays
 * and plain objects of those, at most {@link MAX_PLAIN_DEPTH} levels deep. False for anything
 * else (class instances, holes, deeper data), which callers send down their exact path.
 */
function plainTree(v: unknown, leaf: (v: unknown) => boolean, depth: number): boolean {
  if (v === null || typeof v !== "object") return leaf(v);
  if (depth >= MAX_PLAIN_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (!(i in v) || !plainTree(v[i], leaf, depth + 1)) return false;
    }
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in v as object) {
    if (!plainTree((v as Record<string, unknown>)[k], leaf, depth + 1)) return false;
  }
  return true;
}

/** A primitive that structured clone always copies (the cheap case; others get the exact check). */
function clonesPlainly(v: unknown): boolean {
  const t = typeof v;
  return v === null || t === "number" || t === "string" || t === "boolean" || t === "undefined";
}

/** A primitive that `JSON.stringify`/`JSON.parse` keeps unchanged: no NaN, ±Infinity, -0, undefined. */
function jsonKeeps(v: unknown): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0);
    default:
      return v === null;
  }
}

/** Throws an {@link UncloneableError} naming the first part of `value` that cannot cross. */
export function assertCloneable(value: unknown, what: string, path = "value"): void {
  if (plainTree(value, clonesPlainly, 0)) return;
  const where = findUncloneable(value, path);
  if (where) throw new UncloneableError(what, where);
}

/**
 * Whether `v` survives `JSON.stringify`/`JSON.parse` unchanged: finite numbers (not -0),
 * strings, booleans, null, dense arrays and plain objects of those (no `undefined` values),
 * at most 32 levels deep.
 */
export function jsonSafe(v: unknown): boolean {
  return plainTree(v, jsonKeeps, 0);
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
