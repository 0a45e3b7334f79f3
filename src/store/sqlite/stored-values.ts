/** Validation and encoding of stored values (NaN / +-Infinity must round-trip). */
import { decodeJson, encodeJson } from "../../shared/json-numbers.js";
import { type StoredValue, StoreError } from "../types.js";

export const KIND_FINITE = 0;
export const KIND_NAN = 1;
export const KIND_POS_INF = 2;
export const KIND_NEG_INF = 3;
export const KIND_JSON = 4;

/** Throws StoreError("invalid") unless `v` is a StoredValue; `where` names it in the message. */
export function checkValue(v: unknown, where: string): void {
  // Nearly every value passes: walk it without building a path per value (a tracked trial
  // checks its config and summary), and name the bad one only when something does not pass.
  if (plainlyStorable(v)) return;
  checkNamingValue(v, where);
}

/**
 * True when `v` is certainly a StoredValue; false: {@link checkValue} decides (and names it).
 * For callers whose `where` costs something to build: they build it only on false.
 *
 * @example
 * ```ts
 * if (!isStorable(v)) checkValue(v, `row ${i} key ${JSON.stringify(k)}`);
 * ```
 */
export function isStorable(v: unknown): boolean {
  return plainlyStorable(v);
}

/**
 * True when `v` is certainly a StoredValue. False means "look closer": also for array holes and
 * `undefined` elements, which {@link checkNamingValue} decides as it always did.
 */
function plainlyStorable(v: unknown): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case "number":
    case "string":
    case "boolean":
      return true;
    case "object": {
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!plainlyStorable(v[i])) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) if (!plainlyStorable(o[k])) return false;
      return true;
    }
    default:
      return false;
  }
}

/** {@link checkValue}'s walk that names the first bad value by its path. */
function checkNamingValue(v: unknown, where: string): void {
  if (v === null) return;
  switch (typeof v) {
    case "number":
    case "string":
    case "boolean":
      return;
    case "object": {
      if (Array.isArray(v)) {
        v.forEach((x, i) => {
          checkNamingValue(x, `${where}[${i}]`);
        });
        return;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new StoreError(
          `${where}: cannot store a ${proto?.constructor?.name ?? "object"}`,
          "invalid",
        );
      }
      for (const [k, x] of Object.entries(v)) checkNamingValue(x, `${where}.${k}`);
      return;
    }
    default:
      throw new StoreError(`${where}: cannot store a value of type ${typeof v}`, "invalid");
  }
}

/** Whether {@link checkKey} takes `key` (for callers that build its `where` only when not). */
export function isKey(key: unknown): boolean {
  return typeof key === "string" && key.length > 0 && key.length <= 512;
}

export function checkKey(key: unknown, where: string): void {
  if (!isKey(key)) {
    throw new StoreError(`${where}: invalid key ${JSON.stringify(key)}`, "invalid");
  }
}

/** Splits a value into (kind, num, json) columns. */
export function encodeValue(v: StoredValue): [number, number | null, string | null] {
  if (typeof v === "number") {
    if (Number.isFinite(v)) return [KIND_FINITE, v, null];
    if (Number.isNaN(v)) return [KIND_NAN, null, null];
    return [v > 0 ? KIND_POS_INF : KIND_NEG_INF, null, null];
  }
  return [KIND_JSON, null, encodeJson(v)];
}

export function decodeValue(kind: number, num: number | null, json: string | null): StoredValue {
  switch (kind) {
    case KIND_FINITE:
      return num as number;
    case KIND_NAN:
      return Number.NaN;
    case KIND_POS_INF:
      return Number.POSITIVE_INFINITY;
    case KIND_NEG_INF:
      return Number.NEGATIVE_INFINITY;
    default:
      return decodeJson<StoredValue>(json ?? "null");
  }
}
