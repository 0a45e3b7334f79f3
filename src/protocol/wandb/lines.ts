/**
 * The line formats inside file_stream's files: history lines (`_step`, `_runtime`,
 * `_timestamp` and the logged keys), the summary (one JSON line, the whole summary), system
 * metric lines (`wandb-events.jsonl`: `system.*` keys, `_runtime`, `_timestamp`, `_wandb`) and
 * console lines (`output.log`: `"<ISO time> text"`, stderr with an `ERROR ` prefix).
 */
import { parseWandbJson, stringifyWandbJson } from "./json.js";

/** The files W&B streams, by their names on the wire. */
export const FILE_STREAM_FILES = {
  history: "wandb-history.jsonl",
  summary: "wandb-summary.json",
  events: "wandb-events.jsonl",
  output: "output.log",
} as const;

/** One history line, decoded: the three underscore keys and the rest as logged. */
export interface WandbHistoryLine {
  step: number;
  /** Seconds since the run started. */
  runtime: number;
  /** Epoch seconds (float). */
  timestamp: number;
  values: Record<string, unknown>;
}

/** One system metrics line, decoded: its time and its numeric `system.*` values. */
export interface WandbEventsLine {
  timestamp: number;
  runtime: number;
  values: Record<string, number>;
}

/** One console line: which stream, its time (epoch seconds) and its text. */
export interface WandbOutputLine {
  stream: "stdout" | "stderr";
  timestamp: number;
  text: string;
}

/** A line that is not what its file holds; the message names the file and what is wrong. */
export class WandbLineError extends TypeError {
  override name = "WandbLineError";
}

function objectLine(file: string, line: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseWandbJson(line);
  } catch (e) {
    throw new WandbLineError(`${file}: not JSON: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new WandbLineError(`${file}: a line must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function numberOr(x: unknown, fallback: number): number {
  return typeof x === "number" ? x : fallback;
}

/**
 * Decodes a history line. `_step` must be a non-negative integer.
 *
 * @example
 * ```ts
 * decodeHistoryLine('{"_step":0,"_runtime":0.1,"_timestamp":1700000000,"loss":0.5}');
 * // { step: 0, runtime: 0.1, timestamp: 1700000000, values: { loss: 0.5 } }
 * ```
 */
export function decodeHistoryLine(line: string): WandbHistoryLine {
  const o = objectLine(FILE_STREAM_FILES.history, line);
  const step = o._step;
  if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
    throw new WandbLineError(
      `${FILE_STREAM_FILES.history}: _step must be a non-negative integer, got ${JSON.stringify(step)}`,
    );
  }
  const values: Record<string, unknown> = {};
  for (const k in o) if (k !== "_step" && k !== "_runtime" && k !== "_timestamp") values[k] = o[k];
  return {
    step,
    runtime: numberOr(o._runtime, 0),
    timestamp: numberOr(o._timestamp, Date.now() / 1000),
    values,
  };
}

/**
 * Encodes a history line as the W&B client writes it.
 *
 * @example
 * ```ts
 * encodeHistoryLine({ step: 1, runtime: 0.5, timestamp: 1700000000, values: { loss: 0.25 } });
 * // '{"loss":0.25,"_step":1,"_runtime":0.5,"_timestamp":1700000000}'
 * ```
 */
export function encodeHistoryLine(h: WandbHistoryLine): string {
  return stringifyWandbJson({
    ...h.values,
    _step: h.step,
    _runtime: h.runtime,
    _timestamp: h.timestamp,
  });
}

/**
 * Decodes the summary (one JSON object line); W&B's `_wandb` bookkeeping is left out.
 *
 * @example
 * ```ts
 * decodeSummaryLine('{"acc":0.9,"_wandb":{"runtime":3}}'); // { acc: 0.9 }
 * ```
 */
export function decodeSummaryLine(line: string): Record<string, unknown> {
  const o = objectLine(FILE_STREAM_FILES.summary, line);
  delete o._wandb;
  return o;
}

/**
 * Decodes a system metrics line: the numeric keys other than the underscore ones.
 *
 * @example
 * ```ts
 * decodeEventsLine('{"system.cpu":12.5,"_wandb":true,"_timestamp":1700000000,"_runtime":1}');
 * // { timestamp: 1700000000, runtime: 1, values: { "system.cpu": 12.5 } }
 * ```
 */
export function decodeEventsLine(line: string): WandbEventsLine {
  const o = objectLine(FILE_STREAM_FILES.events, line);
  const values: Record<string, number> = {};
  for (const k in o) {
    const x = o[k];
    if (!k.startsWith("_") && typeof x === "number") values[k] = x;
  }
  return {
    timestamp: numberOr(o._timestamp, Date.now() / 1000),
    runtime: numberOr(o._runtime, 0),
    values,
  };
}

/**
 * Encodes a system metrics line.
 *
 * @example
 * ```ts
 * encodeEventsLine({ timestamp: 1700000000, runtime: 1, values: { "system.cpu": 12.5 } });
 * ```
 */
export function encodeEventsLine(e: WandbEventsLine): string {
  return stringifyWandbJson({
    ...e.values,
    _wandb: true,
    _timestamp: e.timestamp,
    _runtime: e.runtime,
  });
}

const STDERR_PREFIX = "ERROR ";
const OUTPUT_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)? ?(.*)$/s;

/**
 * Decodes a console line `"<ISO time> text"` (`"ERROR <ISO time> text"` for stderr); W&B writes
 * the time without a zone, in UTC. A line without a time keeps all its text, timed `now`.
 *
 * @example
 * ```ts
 * decodeOutputLine("ERROR 2026-01-02T03:04:05.250000 oops");
 * // { stream: "stderr", timestamp: 1767323045.25, text: "oops" }
 * ```
 */
export function decodeOutputLine(line: string, now = Date.now() / 1000): WandbOutputLine {
  const stderr = line.startsWith(STDERR_PREFIX);
  const rest = stderr ? line.slice(STDERR_PREFIX.length) : line;
  const m = OUTPUT_LINE.exec(rest);
  const stream = stderr ? "stderr" : "stdout";
  if (!m) return { stream, timestamp: now, text: rest };
  const ms = Date.parse(`${m[1]!.slice(0, 23)}${m[2] ?? "Z"}`);
  const fraction = m[1]!.length > 23 ? Number(`0.${m[1]!.slice(20)}`) : undefined;
  const seconds = Number.isNaN(ms)
    ? now
    : fraction === undefined
      ? ms / 1000
      : Math.floor(ms / 1000) + fraction;
  return { stream, timestamp: seconds, text: m[3]! };
}

/**
 * Encodes a console line as the W&B client writes it (UTC, microseconds, no zone).
 *
 * @example
 * ```ts
 * encodeOutputLine({ stream: "stdout", timestamp: 1767323045.25, text: "hi" });
 * // "2026-01-02T03:04:05.250000 hi"
 * ```
 */
export function encodeOutputLine(o: WandbOutputLine): string {
  const whole = Math.floor(o.timestamp);
  const micros = Math.round((o.timestamp - whole) * 1e6);
  const iso = new Date(whole * 1000).toISOString().slice(0, 19);
  const time = `${iso}.${String(Math.min(micros, 999_999)).padStart(6, "0")}`;
  return `${o.stream === "stderr" ? STDERR_PREFIX : ""}${time} ${o.text}`;
}
