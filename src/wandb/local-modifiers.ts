/**
 * The in-process `modify` functions of the W&B plugin, by key. The host side (`plugin.ts`)
 * registers a `modify` that cannot be imported by URL (the sequential executor runs trials in
 * the host, so none is needed); the worker side (`wrapper.ts`) looks it up. A module of its
 * own so that the two sides do not import each other.
 *
 * @module
 */

import type { ModifyFn } from "./plugin.js";

const modifiers = new Map<string, ModifyFn>();
let nextKey = 0;

/**
 * @internal Keeps `modify` for this process and returns the key that finds it again.
 *
 * @example
 * ```ts
 * const key = registerLocalModifier((trial, params) => params);
 * localModifier(key); // the same function
 * ```
 */
export function registerLocalModifier(modify: ModifyFn): string {
  const key = `local-${nextKey++}`;
  modifiers.set(key, modify);
  return key;
}

/** @internal the `modify` registered under `key` in this process, if any. */
export function localModifier(key: string): ModifyFn | undefined {
  return modifiers.get(key);
}
