/**
 * The runs filter box: `config.lr > 0.01; state = running; name ~ mlp; config.opt in adam,sgd`.
 * Clauses are separated by `;` or ` and ` (not inside quotes); `opt = adam or opt = sgd` is one
 * clause (alternatives of one field). A name that is not a run field means a config key, nested
 * ones as the table's header shows them (`lr > 0.01` is `config.lr > 0.01`, `schedule.kind =
 * cosine` is `config.schedule.kind`); `tags = wide` has the tag, `tags ~ wi` a tag containing
 * it. Values: numbers, `NaN`, `Infinity`, `true`/`false`/`null`, or text (quote it to keep
 * `and`, `;` or a number as text). Parsed into the server's filter objects.
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

type Scalar = string | number | boolean | null;

/** `text` cut at each match of `sep` outside single or double quotes. */
function splitOutsideQuotes(text: string, sep: RegExp): string[] {
  const parts: string[] = [];
  let quote = "";
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = "";
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      continue;
    }
    const m = sep.exec(text.slice(i));
    if (m && m.index === 0) {
      parts.push(text.slice(start, i));
      i += m[0].length - 1;
      start = i + 1;
    }
  }
  if (quote) throw new FilterSyntaxError(`filter: unclosed quote ${quote} in "${text.trim()}"`);
  parts.push(text.slice(start));
  return parts;
}

/** A value as typed: quoted text stays text, else numbers (NaN, ±Infinity), booleans, null. */
function scalar(raw: string): Scalar {
  const t = raw.trim();
  const quoted = /^(["'])(.*)\1$/s.exec(t);
  if (quoted) return quoted[2]!;
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (t === "NaN") return Number.NaN;
  if (t === "Infinity" || t === "+Infinity") return Number.POSITIVE_INFINITY;
  if (t === "-Infinity") return Number.NEGATIVE_INFINITY;
  if (t !== "" && Number.isFinite(Number(t))) return Number(t);
  return t;
}

/** The field a name means: run fields as they are, anything else inside config. */
function fieldOf(name: string): string {
  if (TOP_LEVEL.has(name) || /^(config|summary)\./.test(name)) return name;
  return `config.${name}`;
}

/** The operator of a clause: the leftmost outside quotes (the longest at one place). */
function findOp(c: string): [number, string, FilterOp] | null {
  let hit: [number, string, FilterOp] | null = null;
  const firstQuote = c.search(/["']/);
  for (const [sym, op] of OPS) {
    const at = c.indexOf(sym);
    if (at <= 0 || (firstQuote >= 0 && at > firstQuote)) continue;
    if (hit === null || at < hit[0] || (at === hit[0] && sym.length > hit[1].length))
      hit = [at, sym, op];
  }
  return hit;
}

function parseClause(c: string): RunFilter {
  const hit = findOp(c);
  if (!hit) throw new FilterSyntaxError(`filter: no operator in "${c}" (use = != < <= > >= ~ in)`);
  const [at, sym, op] = hit;
  const name = c.slice(0, at).trim();
  const rawValue = c.slice(at + sym.length).trim();
  if (!name) throw new FilterSyntaxError(`filter: missing field in "${c}"`);
  if (rawValue === "") throw new FilterSyntaxError(`filter: missing value in "${c}"`);
  const value = op === "in" ? splitOutsideQuotes(rawValue, /^,/).map(scalar) : scalar(rawValue);
  return { field: fieldOf(name), op, value };
}

/** `a = x or a = y` is `a in x,y`; alternatives over several fields cannot be asked. */
function parseAlternatives(c: string): RunFilter {
  const alts = splitOutsideQuotes(c, /^\s+or\s+/i).map((a) => a.trim());
  if (alts.length === 1) return parseClause(c);
  const fs = alts.map(parseClause);
  const field = fs[0]!.field;
  if (fs.some((f) => f.field !== field || (f.op !== "eq" && f.op !== "in"))) {
    throw new FilterSyntaxError(
      `filter: "or" joins values of one field with = (e.g. "opt = adam or opt = sgd"): "${c}"`,
    );
  }
  const values = fs.flatMap((f) => (Array.isArray(f.value) ? f.value : [f.value]));
  return { field, op: "in", value: values };
}

/**
 * Parses the filter box into the server's filter objects; a `FilterSyntaxError` says what is
 * wrong, for the box's message.
 *
 * @example
 * ```ts
 * parseFilter('schedule.kind = cosine; tags ~ wide; note = "a and b"');
 * ```
 */
export function parseFilter(text: string): RunFilter[] {
  const out: RunFilter[] = [];
  for (const clause of splitOutsideQuotes(text, /^(;|\s+and\s+)/i)) {
    const c = clause.trim();
    if (c) out.push(parseAlternatives(c));
  }
  return out;
}
