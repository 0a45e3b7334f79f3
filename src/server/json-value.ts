/**
 * What the API checks of any parsed JSON value: its kind, for messages ("got array"), and its
 * nesting depth. JSON can carry nothing a store cannot keep except nesting deep enough to
 * overflow a recursive reader, so values (config, summary, non-numeric metrics) are bounded
 * to {@link MAX_DEPTH} levels; schemas and the hand-checked hot path share this one walker.
 */
import { invalid } from "./errors.js";

/** Levels of nesting a stored value may have. */
export const MAX_DEPTH = 32;

/** `null`, `array` or the `typeof` of a parsed JSON value. */
export function kindOf(x: unknown): string {
  return x === null ? "null" : Array.isArray(x) ? "array" : typeof x;
}

/** Depth of nesting of a parsed JSON value (stops counting past {@link MAX_DEPTH}). */
export function depthOf(x: unknown, depth = 0): number {
  if (depth > MAX_DEPTH || x === null || typeof x !== "object") return depth;
  let deepest = depth;
  for (const k in x as Record<string, unknown>) {
    deepest = Math.max(deepest, depthOf((x as Record<string, unknown>)[k], depth + 1));
    if (deepest > MAX_DEPTH) break;
  }
  return deepest;
}

/** Throws a 400 naming `field` when `x` is nested deeper than {@link MAX_DEPTH} levels. */
export function checkDepth(x: unknown, field: string): void {
  if (depthOf(x) > MAX_DEPTH) throw invalid(field, `nested deeper than ${MAX_DEPTH} levels`);
}
