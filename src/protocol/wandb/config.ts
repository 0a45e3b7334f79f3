/**
 * W&B's config encoding: every key's value wrapped as `{"value": v}`, and the client's own
 * bookkeeping under `_wandb` (metric definitions in `_wandb.value.m`, versions, the machine).
 * UpsertBucket carries it as a JSON string.
 */
import { parseWandbJson, stringifyWandbJson } from "./json.js";

/** The key W&B keeps its own bookkeeping under (never a user's key). */
export const WANDB_CONFIG_KEY = "_wandb";

/** A decoded config: the user's keys, and W&B's `_wandb` value apart (undefined when absent). */
export interface DecodedConfig {
  config: Record<string, unknown>;
  wandb: Record<string, unknown> | undefined;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

/**
 * Unwraps a W&B config (an object or its JSON string): `{"lr": {"value": 0.1}}` -> `{lr: 0.1}`.
 * A key without the `{value}` wrapper is kept as it is (older clients wrote some bare).
 *
 * @throws SyntaxError when a string is not JSON; TypeError when it is not an object.
 * @example
 * ```ts
 * decodeWandbConfig('{"lr":{"value":0.1},"_wandb":{"value":{"m":[]}}}');
 * // { config: { lr: 0.1 }, wandb: { m: [] } }
 * ```
 */
export function decodeWandbConfig(encoded: string | Record<string, unknown>): DecodedConfig {
  const raw = typeof encoded === "string" ? parseWandbJson(encoded) : encoded;
  if (!isObject(raw)) throw new TypeError(`a W&B config must be an object, got ${typeof raw}`);
  const config: Record<string, unknown> = {};
  let wandb: Record<string, unknown> | undefined;
  for (const [k, wrapped] of Object.entries(raw)) {
    const value = isObject(wrapped) && "value" in wrapped ? wrapped.value : wrapped;
    if (k === WANDB_CONFIG_KEY) wandb = isObject(value) ? value : {};
    else config[k] = value;
  }
  return { config, wandb };
}

/**
 * Wraps a config for W&B, as the JSON string UpsertBucket takes; `wandb` goes under `_wandb`.
 *
 * @example
 * ```ts
 * encodeWandbConfig({ lr: 0.1 }); // '{"lr":{"value":0.1}}'
 * ```
 */
export function encodeWandbConfig(
  config: Readonly<Record<string, unknown>>,
  wandb?: Readonly<Record<string, unknown>>,
): string {
  const out: Record<string, { value: unknown }> = {};
  for (const [k, value] of Object.entries(config)) {
    if (k !== WANDB_CONFIG_KEY) out[k] = { value };
  }
  if (wandb !== undefined) out[WANDB_CONFIG_KEY] = { value: wandb };
  return stringifyWandbJson(out);
}
