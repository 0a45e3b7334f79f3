/**
 * W&B's `value_json` strings are JSON plus the bare tokens `NaN`, `Infinity` and `-Infinity`
 * (Python's `json.dumps` default). `JSON.parse` rejects those, so they are rewritten to a tagged
 * string outside of string literals and turned back into numbers by a reviver.
 */

const TAG = "\u0000wandb-num:";

function tagSpecialNumbers(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      // Copy a string literal verbatim, honouring escapes.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const token = ["-Infinity", "Infinity", "NaN"].find((t) => text.startsWith(t, i));
    if (token) {
      out += JSON.stringify(TAG + token);
      i += token.length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function revive(_key: string, v: unknown): unknown {
  return typeof v === "string" && v.startsWith(TAG) ? Number(v.slice(TAG.length)) : v;
}

/** Parses a W&B `value_json`; throws `SyntaxError` for text that is not (W&B-flavoured) JSON. */
export function parseWandbJson(text: string): unknown {
  // Most values are one number (`0.5`, `1.79e+09`, `-Infinity`, `NaN`): Number() reads them
  // without a parser, and JSON's number grammar is a subset of what it takes.
  const c = text.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === 45 || text === "NaN" || text === "Infinity") {
    const n = Number(text);
    if (!Number.isNaN(n) || text === "NaN") return n;
  }
  try {
    return JSON.parse(text);
  } catch {
    return JSON.parse(tagSpecialNumbers(text), revive);
  }
}

/**
 * JSON as W&B writes it in `value_json`: non-finite numbers as Python's bare `NaN`, `Infinity`
 * and `-Infinity` tokens (plain `JSON.stringify` would write `null`).
 */
export function toWandbJson(value: unknown): string {
  // Numbers are most values: String() writes them as JSON does, and the non-finite ones as
  // exactly Python's tokens.
  if (typeof value === "number") return String(value);
  const text = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "number" && !Number.isFinite(v) ? TAG + String(v) : v,
  );
  if (text === undefined) return "null";
  // The tag starts with a NUL character, which JSON writes as \u0000: no user text matches.
  return text.includes("wandb-num:")
    ? text.replace(/"\\u0000wandb-num:(NaN|Infinity|-Infinity)"/g, "$1")
    : text;
}
