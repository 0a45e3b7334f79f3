/**
 * The one JSON codec for numbers JSON has no literal for. NaN, `Infinity` and `-Infinity`
 * travel and rest as a tag, `{"$amltk_num": "NaN" | "Infinity" | "-Infinity"}`: in the SQLite
 * store's JSON columns, on the wire between the online SDK and the server, in API responses
 * and in the dashboard (which imports this file; it imports nothing, so both builds can).
 *
 * A tag is exactly one key, `$amltk_num`, holding exactly one of those three strings. Anything
 * else (`{"$amltk_num": "5"}`, `{"$amltk_num": 5}`, the key beside others) is not a tag: it is
 * a plain object and decodes as one, so every JSON document round-trips unchanged and no
 * decoder turns data into a number that the encoder never wrote.
 *
 * @module
 */

/** The key of a non-finite number's tag. */
export const NUM_TAG = "$amltk_num";

/** A tagged non-finite number. */
export type NumTag = { [NUM_TAG]: "NaN" | "Infinity" | "-Infinity" };

/**
 * The tag for `n` when it is NaN or ±Infinity, else `n` itself.
 *
 * @example
 * ```ts
 * tagNumber(Number.NaN); // { $amltk_num: "NaN" }
 * tagNumber(1.5); // 1.5
 * ```
 */
export function tagNumber(n: number): number | NumTag {
  return Number.isFinite(n) ? n : ({ [NUM_TAG]: String(n) } as NumTag);
}

/**
 * The number a tag stands for, or `undefined` when `x` is not a tag (see the module's rules).
 *
 * @example
 * ```ts
 * untagNumber({ $amltk_num: "-Infinity" }); // -Infinity
 * untagNumber({ $amltk_num: "5" }); // undefined: not a tag
 * ```
 */
export function untagNumber(x: unknown): number | undefined {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return undefined;
  const o = x as Record<string, unknown>;
  // Checked cheaply before Object.keys: nearly every object a reviver sees is no tag.
  if (!(NUM_TAG in o)) return undefined;
  const t = o[NUM_TAG];
  if (t !== "NaN" && t !== "Infinity" && t !== "-Infinity") return undefined;
  if (Object.keys(o).length !== 1) return undefined;
  return Number(t);
}

/**
 * A `JSON.parse` reviver that restores tagged numbers.
 *
 * @example
 * ```ts
 * JSON.parse('[{"$amltk_num":"NaN"}]', reviveNumbers); // [NaN]
 * ```
 */
export function reviveNumbers(_key: string, x: unknown): unknown {
  const n = untagNumber(x);
  return n === undefined ? x : n;
}

function replaceNumbers(_key: string, x: unknown): unknown {
  return typeof x === "number" && !Number.isFinite(x) ? { [NUM_TAG]: String(x) } : x;
}

/**
 * `JSON.stringify` with NaN and ±Infinity tagged (plain `JSON.stringify` writes them as null).
 *
 * @example
 * ```ts
 * encodeJson({ loss: Number.POSITIVE_INFINITY }); // '{"loss":{"$amltk_num":"Infinity"}}'
 * ```
 */
export function encodeJson(v: unknown): string {
  // A replacer takes V8 off its fast serializer (a call per value). Plain `JSON.stringify`
  // writes a non-finite number as `null`, so output without "null" has none and is the same
  // text; only output with a null (a real one, or a non-finite number) is written again.
  const plain = JSON.stringify(v);
  if (plain === undefined || !plain.includes("null")) return plain;
  return JSON.stringify(v, replaceNumbers);
}

/**
 * `JSON.parse` that restores tagged numbers. Throws SyntaxError on text that is not JSON.
 *
 * @example
 * ```ts
 * decodeJson('{"loss":{"$amltk_num":"NaN"}}'); // { loss: NaN }
 * ```
 */
export function decodeJson<T = unknown>(text: string): T {
  // The reviver costs a call per value; only text that holds a tag pays for it.
  if (!text.includes(NUM_TAG)) return JSON.parse(text) as T;
  return JSON.parse(text, reviveNumbers) as T;
}

/**
 * A copy of `a`'s first `n` numbers with the non-finite ones tagged, ready for
 * `JSON.stringify`. Typed as numbers because the receiver decodes the tags back into numbers.
 *
 * @example
 * ```ts
 * tagNumbers(new Float64Array([1, Number.NaN])); // [1, { $amltk_num: "NaN" }]
 * ```
 */
export function tagNumbers(a: ArrayLike<number>, n = a.length): number[] {
  const out = new Array<number>(n);
  let clean = true;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (!Number.isFinite(v)) clean = false;
    out[i] = v;
  }
  if (clean) return out;
  return out.map((v) => tagNumber(v) as number);
}

/**
 * A JSON-safe deep copy of a small value, non-finite numbers tagged.
 *
 * @example
 * ```ts
 * tagValue({ best: Number.NEGATIVE_INFINITY }); // { best: { $amltk_num: "-Infinity" } }
 * ```
 */
export function tagValue<T>(v: T): T {
  return JSON.parse(encodeJson(v)) as T;
}
