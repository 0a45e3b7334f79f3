/** The payload of `run.log`: checked and flattened to the key/value pairs a store keeps. */
import type { StoredValue } from "../store/types.js";
import { TrackError } from "./errors.js";

/** Longest key a store accepts (checked here so `log` names it instead of a failed flush). */
export const MAX_KEY = 512;

/**
 * Validates and flattens a `log` payload. Nested plain objects are flattened to `a/b` keys
 * (`{ train: { loss: 1 } }` becomes `train/loss`). Allowed leaf values: numbers (incl. NaN and
 * +/-Infinity), booleans, strings, null and arrays of numbers. Anything else throws a
 * `TrackError` naming the key. Keys must be non-empty and must not start with `_`.
 */
export function flattenLog(data: Record<string, unknown>): Record<string, StoredValue> {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new TrackError("log: data must be a plain object of key/value pairs");
  }
  const out: Record<string, StoredValue> = {};
  flattenInto(out, data, "", null);
  return out;
}

function flattenInto(
  out: Record<string, StoredValue>,
  data: Record<string, unknown>,
  prefix: string,
  seen: object[] | null,
): void {
  if (seen?.includes(data)) {
    throw new TrackError(`log: circular object at key "${prefix.slice(0, -1)}"`);
  }
  for (const k in data) {
    if (!Object.hasOwn(data, k)) continue;
    if (k === "") throw new TrackError(`log: empty key under "${prefix}"`);
    const key = prefix + k;
    if (key.length > MAX_KEY) {
      throw new TrackError(`log: key "${key.slice(0, 40)}…" is longer than ${MAX_KEY} characters`);
    }
    if (prefix === "" && k.charCodeAt(0) === 95) {
      throw new TrackError(`log: key "${key}" starts with "_" (reserved)`);
    }
    const v = data[k];
    switch (typeof v) {
      case "number":
      case "boolean":
      case "string":
        out[key] = v;
        break;
      case "object":
        if (v === null) out[key] = null;
        else if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            if (typeof v[i] !== "number") {
              throw new TrackError(`log: key "${key}" holds an array with a non-number at ${i}`);
            }
          }
          out[key] = v.slice() as number[];
        } else if (
          Object.getPrototypeOf(v) === Object.prototype ||
          Object.getPrototypeOf(v) === null
        ) {
          const stack = seen ?? [];
          stack.push(data);
          flattenInto(out, v as Record<string, unknown>, key + "/", stack);
          stack.pop();
        } else {
          throw new TrackError(`log: key "${key}" holds an unsupported object`);
        }
        break;
      default:
        throw new TrackError(`log: key "${key}" holds an unsupported ${typeof v}`);
    }
  }
}
