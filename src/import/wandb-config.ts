/**
 * The config of an imported W&B run: updates and removals by key path, and the `{ value, desc }`
 * wrapping of W&B config files.
 *
 * @module
 */

/** Sets `value` at `path`, making (or replacing non-object values with) the objects on the way. */
export function setPath(
  target: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): void {
  let obj = target;
  for (const part of path.slice(0, -1)) {
    const next = obj[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) obj[part] = {};
    obj = obj[part] as Record<string, unknown>;
  }
  obj[path[path.length - 1]!] = value;
}

/** Deletes the key at `path`, if the objects on the way exist. */
export function deletePath(target: Record<string, unknown>, path: readonly string[]): void {
  let obj: unknown = target;
  for (const part of path.slice(0, -1)) obj = (obj as Record<string, unknown> | undefined)?.[part];
  if (obj && typeof obj === "object")
    delete (obj as Record<string, unknown>)[path[path.length - 1]!];
}

/**
 * W&B config files wrap each value as `{ value, desc? }`. The log itself does not, but configs
 * carried over from `config.yaml` may: unwrap only when every key is wrapped, so a user's own
 * `{ value: ... }` dict next to plain values stays as it is.
 */
export function unwrapConfig(config: Record<string, unknown>): Record<string, unknown> {
  const entries = Object.entries(config);
  const wrapped = (v: unknown): v is { value: unknown } =>
    v !== null &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    "value" in v &&
    Object.keys(v).every((k) => k === "value" || k === "desc");
  if (entries.length === 0 || !entries.every(([, v]) => wrapped(v))) return config;
  return Object.fromEntries(entries.map(([k, v]) => [k, (v as { value: unknown }).value]));
}
