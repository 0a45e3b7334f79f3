/**
 * The runs filter box: `config.lr > 0.01; state = running; name ~ mlp; config.opt in adam,sgd`.
 * Clauses are separated by `;` or ` and `; a bare name that is not a run field means a config
 * key (`lr > 0.01` is `config.lr > 0.01`). Parsed into the server's filter objects.
 */
import type { FilterOp, RunFilter } from "./api.js";

const TOP_LEVEL = new Set([
  "id",
  "name",
  "state",
  "group",
  "jobType",
  "notes",
  "exitCode",
  "createdAt",
  "finishedAt",
  "host",
  "project",
  "tags",
]);

// Longest first so `<=` is not read as `<`.
const OPS: [string, FilterOp][] = [
  ["<=", "le"],
  [">=", "ge"],
  ["!=", "ne"],
  ["==", "eq"],
  ["=", "eq"],
  ["<", "lt"],
  [">", "gt"],
  ["~", "contains"],
  [" contains ", "contains"],
  [" in ", "in"],
];

export class FilterSyntaxError extends Error {
  override name = "FilterSyntaxError";
}

function scalar(raw: string): string | number | boolean | null {
  const t = raw.trim();
  const quoted = /^(["'])(.*)\1$/.exec(t);
  if (quoted) return quoted[2]!;
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (t !== "" && Number.isFinite(Number(t))) return Number(t);
  return t;
}

export function parseFilter(text: string): RunFilter[] {
  const out: RunFilter[] = [];
  for (const clause of text.split(/;|\s+and\s+/i)) {
    const c = clause.trim();
    if (!c) continue;
    let hit: [number, string, FilterOp] | null = null;
    for (const [sym, op] of OPS) {
      const at = c.indexOf(sym);
      if (at > 0 && (hit === null || at < hit[0] || (at === hit[0] && sym.length > hit[1].length)))
        hit = [at, sym, op];
    }
    if (!hit)
      throw new FilterSyntaxError(`filter: no operator in "${c}" (use = != < <= > >= ~ in)`);
    const [at, sym, op] = hit;
    let field = c.slice(0, at).trim();
    const rawValue = c.slice(at + sym.length).trim();
    if (!field) throw new FilterSyntaxError(`filter: missing field in "${c}"`);
    if (rawValue === "") throw new FilterSyntaxError(`filter: missing value in "${c}"`);
    if (!field.includes(".") && !TOP_LEVEL.has(field)) field = `config.${field}`;
    const value = op === "in" ? rawValue.split(",").map(scalar) : scalar(rawValue);
    out.push({ field, op, value });
  }
  return out;
}
