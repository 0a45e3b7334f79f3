/**
 * W&B's JSON: the client writes NaN and ±Infinity as the bare tokens `NaN`, `Infinity` and
 * `-Infinity` (as Python's `json.dumps` does), which `JSON.parse` refuses. Lines that parse as
 * plain JSON (nearly all) take the fast path; the others have the tokens outside string
 * literals turned into a marker string that a reviver turns back into the number.
 */

const MARK = "\u0000wandb-number:";
const TOKENS = ["-Infinity", "Infinity", "NaN"] as const;
/** A marker as JSON text holds it (`JSON.stringify` escapes the NUL so). */
const MARKED_IN_TEXT = /"\\u0000wandb-number:(NaN|Infinity|-Infinity)"/g;

function markBareNumbers(text: string): string {
  let out = "";
  let from = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1;
      i++;
      continue;
    }
    const token = TOKENS.find((t) => text.startsWith(t, i));
    if (token === undefined) {
      i++;
      continue;
    }
    out += `${text.slice(from, i)}"\\u0000wandb-number:${token}"`;
    i += token.length;
    from = i;
  }
  return out + text.slice(from);
}

function reviveMarked(_key: string, v: unknown): unknown {
  return typeof v === "string" && v.startsWith(MARK) ? Number(v.slice(MARK.length)) : v;
}

/**
 * Parses one W&B JSON text (a history line, a summary, a config string).
 *
 * @throws SyntaxError for text that is not JSON even with the bare tokens allowed.
 * @example
 * ```ts
 * parseWandbJson('{"loss": NaN, "_step": 3}'); // { loss: NaN, _step: 3 }
 * ```
 */
export function parseWandbJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return JSON.parse(markBareNumbers(text), reviveMarked);
  }
}

/**
 * Writes a value as W&B's JSON: plain JSON, except that NaN and ±Infinity are the bare tokens.
 *
 * @example
 * ```ts
 * stringifyWandbJson({ loss: Number.NaN }); // '{"loss":NaN}'
 * ```
 */
export function stringifyWandbJson(value: unknown): string {
  let special = false;
  const text = JSON.stringify(value, (_k, v) => {
    if (typeof v === "number" && !Number.isFinite(v)) {
      special = true;
      return `${MARK}${v}`;
    }
    return v;
  });
  if (!special) return text;
  return text.replace(MARKED_IN_TEXT, "$1");
}
