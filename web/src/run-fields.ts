/** Reading a run's fields by dotted path, and the dotted paths of nested config. */

/** Reads `config.a.b` / `summary.cost` / `name` from a run-like object. */
export function pathValue(obj: object, path: string): unknown {
  const [head, ...rest] = path.split(".");
  // Own keys only: a run's config may hold "__proto__" or "constructor" as data, and a path
  // must read that data, never what an object inherits.
  const own = (o: unknown, k: string) =>
    o && typeof o === "object" && Object.hasOwn(o, k)
      ? (o as Record<string, unknown>)[k]
      : undefined;
  let v: unknown = own(obj, head!);
  if (rest.length === 0) return v;
  // Config keys may themselves contain dots (W&B flattens nested config), so try the whole tail first.
  const tail = rest.join(".");
  if (v && typeof v === "object" && Object.hasOwn(v, tail)) return own(v, tail);
  for (const p of rest) {
    if (!v || typeof v !== "object") return undefined;
    v = own(v, p);
  }
  return v;
}

/**
 * Leaf entries of a nested object as dotted keys (`{ model: { layers: 3 } }` gives
 * `model.layers`), so nested configs get one column and one sweep axis per value. Arrays and
 * depth past 4 stay whole.
 */
export function flatEntries(
  obj: Record<string, unknown>,
  prefix = "",
  depth = 0,
): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v) && depth < 4)
      out.push(...flatEntries(v as Record<string, unknown>, key, depth + 1));
    else out.push([key, v]);
  }
  return out;
}
