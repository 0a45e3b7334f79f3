/**
 * The values of one history or summary record. wandb-core writes every key as a `nested_key`
 * path, and a logged media object or histogram (`{"_type": "image-file", "path": ...}`,
 * `{"_type": "histogram", "values": [...], "bins": [...]}`) as one item per field. Such an
 * object is put back together as ONE value under its key (marked by its `_type` item), so an
 * image stays an image and a histogram one value, not two raw arrays. Other paths are joined
 * with `/`, as W&B shows them (`nested/a`).
 *
 * @module
 */
import { setPath } from "./wandb-config.js";
import type { WandbItem } from "./wandb-records.js";

/** Items to `{ key: value }`, with typed objects (media, histograms) rebuilt whole. */
export function itemsToValues(items: readonly WandbItem[]): Record<string, unknown> {
  const typed = typedPrefixes(items);
  const out: Record<string, unknown> = {};
  for (const { path, value } of items) {
    const prefix = typed.size > 0 ? typedPrefixOf(path, typed) : undefined;
    if (prefix === undefined) {
      out[path.join("/")] = value;
      continue;
    }
    const key = path.slice(0, prefix).join("/");
    if (out[key] === undefined) out[key] = {};
    setPath(out[key] as Record<string, unknown>, path.slice(prefix), value);
  }
  return out;
}

/** The paths (joined) that hold a `_type` item: each is one typed object. */
function typedPrefixes(items: readonly WandbItem[]): Set<string> {
  const out = new Set<string>();
  for (const { path } of items) {
    if (path.length >= 2 && path[path.length - 1] === "_type") out.add(path.slice(0, -1).join("/"));
  }
  return out;
}

/** How many leading parts of `path` name a typed object, or undefined when none does. */
function typedPrefixOf(path: readonly string[], typed: ReadonlySet<string>): number | undefined {
  for (let n = 1; n < path.length; n++) if (typed.has(path.slice(0, n).join("/"))) return n;
  return undefined;
}
