/**
 * Reads the `@defaultValue` tags of an options interface's TSDoc, so a test can check that the
 * documented defaults are the values of the frozen defaults object the code uses.
 */
import { readFileSync } from "node:fs";

/**
 * `{ key: "text of its @defaultValue" }` for every property of `file` documented with one
 * (the tag's text up to the end of its line, trimmed).
 */
export function documentedDefaults(file: URL): Record<string, string> {
  const text = readFileSync(file, "utf8");
  const out: Record<string, string> = {};
  // A doc comment, then the property it documents: `readonly? name?:`.
  const re = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*(?:readonly\s+)?(\w+)\??:/g;
  for (const m of text.matchAll(re)) {
    const tag = /@defaultValue\s+(.+)/.exec(m[1] as string);
    if (tag) out[m[2] as string] = (tag[1] as string).trim();
  }
  return out;
}

/**
 * Each key of `defaults` whose documented default (in `file`) is not its value written as
 * JSON (numbers and booleans as is, strings quoted; functions are skipped): empty when the
 * docs and the code agree. Keys documented but absent from `defaults` are not reported (their
 * default depends on the problem), but every key of `defaults` must be documented.
 */
export function defaultsDisagreeing(
  file: URL,
  defaults: Readonly<Record<string, unknown>>,
): string[] {
  const docs = documentedDefaults(file);
  const bad: string[] = [];
  for (const [key, value] of Object.entries(defaults)) {
    const doc = docs[key];
    if (doc === undefined) {
      bad.push(`${key}: no @defaultValue`);
      continue;
    }
    if (typeof value === "function") continue;
    const expected = JSON.stringify(value);
    if (doc !== expected && doc.replaceAll("_", "") !== expected)
      bad.push(`${key}: documented ${doc}, code ${expected}`);
  }
  return bad;
}
