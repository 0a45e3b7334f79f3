/** Reading a run's fields by dotted path, and the dotted paths of nested config. */

// One reader of dotted paths for the table, the sweep views and the server's grouping (own keys
// only, a dotted tail tried whole first): the bundle takes it from the server's pure module.
export { pathValue } from "../../src/server/run-groups.js";

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
