import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeValue, encodeValue } from "../store/sqlite/stored-values.js";
import {
  decodeJson,
  encodeJson,
  NUM_TAG,
  reviveNumbers,
  tagNumbers,
  tagValue,
  untagNumber,
} from "./json-numbers.js";

describe("json-numbers: the one NaN/±Infinity codec", () => {
  it("round-trips NaN and ±Infinity, nested and in arrays", () => {
    const v = { a: Number.NaN, b: [1, Number.POSITIVE_INFINITY, { c: Number.NEGATIVE_INFINITY }] };
    const text = encodeJson(v);
    expect(text).toBe(
      '{"a":{"$amltk_num":"NaN"},"b":[1,{"$amltk_num":"Infinity"},{"c":{"$amltk_num":"-Infinity"}}]}',
    );
    expect(decodeJson(text)).toEqual(v);
    expect(JSON.parse(text, reviveNumbers)).toEqual(v);
  });

  // Before there was one codec, the store's decoder read `{"$amltk_num":"5"}` as 5 and the
  // wire's left it an object; a stray key beside the tag was a number to the dashboard only.
  it.each([
    ['{"$amltk_num":"5"}', { [NUM_TAG]: "5" }],
    ['{"$amltk_num":5}', { [NUM_TAG]: 5 }],
    ['{"$amltk_num":"nan"}', { [NUM_TAG]: "nan" }],
    ['{"$amltk_num":"NaN","x":1}', { [NUM_TAG]: "NaN", x: 1 }],
    ['{"$amltk_num":null}', { [NUM_TAG]: null }],
    ['[{"$amltk_num":["NaN"]}]', [{ [NUM_TAG]: ["NaN"] }]],
  ])("%s is not a tag: it decodes as the plain data it is", (text, data) => {
    expect(decodeJson(text)).toEqual(data);
    expect(encodeJson(decodeJson(text))).toBe(text);
  });

  it("every decoder agrees: store columns and wire", () => {
    const cases = [
      '{"$amltk_num":"NaN"}',
      '{"$amltk_num":"-Infinity"}',
      '{"$amltk_num":"5"}',
      '{"$amltk_num":"Infinity","y":2}',
      '{"k":[{"$amltk_num":"Infinity"}]}',
    ];
    for (const text of cases) {
      const one = decodeJson(text);
      // The SQLite store keeps non-numeric values as JSON text (kind 4).
      expect(decodeValue(4, null, text)).toEqual(one);
    }
    expect(Number.isNaN(decodeValue(4, null, '{"$amltk_num":"NaN"}'))).toBe(true);
  });

  it("stores a value that merely looks like a tag as that value", () => {
    const lookalike = { [NUM_TAG]: "5" };
    const [kind, num, json] = encodeValue(lookalike);
    expect(decodeValue(kind, num, json)).toEqual(lookalike);
  });

  it("untagNumber reads only exact tags", () => {
    expect(untagNumber({ [NUM_TAG]: "Infinity" })).toBe(Number.POSITIVE_INFINITY);
    expect(untagNumber({ [NUM_TAG]: "5" })).toBeUndefined();
    expect(untagNumber([{ [NUM_TAG]: "NaN" }])).toBeUndefined();
    expect(untagNumber(null)).toBeUndefined();
  });

  it("tagNumbers copies a prefix and tags only non-finite values", () => {
    const a = new Float64Array([1, Number.NaN, 3, 4]);
    expect(tagNumbers(a, 3)).toEqual([1, { [NUM_TAG]: "NaN" }, 3]);
    expect(tagNumbers([1, 2])).toEqual([1, 2]);
    expect(decodeJson(JSON.stringify(tagValue({ v: [Number.NEGATIVE_INFINITY] })))).toEqual({
      v: [Number.NEGATIVE_INFINITY],
    });
  });

  // encodeJson skips its replacer when plain JSON.stringify writes no "null": the text must be
  // what the replacer writes for every value, with and without nulls and non-finite numbers.
  it.each([
    ["finite only", { x: 1, y: [2, 3], s: "a", b: true, o: { z: -0 } }],
    ["a real null", { x: null, y: [null, 1] }],
    ["a string holding null", { note: "nullable", n: Number.NaN }],
    ["undefined and functions", { u: undefined, f: () => 1, a: [undefined] }],
    ["a bare non-finite number", Number.NEGATIVE_INFINITY],
    ["toJSON", { d: new Date(0), t: { toJSON: () => Number.NaN } }],
    ["undefined itself", undefined],
  ])("writes what the replacer writes: %s", (_name, v) => {
    const replacer = (_k: string, x: unknown) =>
      typeof x === "number" && !Number.isFinite(x) ? { [NUM_TAG]: String(x) } : x;
    expect(encodeJson(v)).toBe(JSON.stringify(v, replacer));
  });

  it("refuses text that is not JSON with a SyntaxError", () => {
    expect(() => decodeJson('{"$amltk_num":')).toThrow(SyntaxError);
  });

  it("is the only copy: no other source file spells the tag, the dashboard imports this one", () => {
    const root = join(import.meta.dirname, "..", "..");
    const sources = [...tsFiles(join(root, "src")), ...tsFiles(join(root, "web", "src"))].filter(
      (f) => !/\.test(-helpers)?\.ts$/.test(f) && !f.endsWith("json-numbers.ts"),
    );
    expect(sources.length).toBeGreaterThan(50);
    expect(sources.filter((f) => readFileSync(f, "utf8").includes("$amltk_num"))).toEqual([]);
    expect(readFileSync(join(root, "web", "src", "api.ts"), "utf8")).toContain(
      'from "../../src/shared/json-numbers.js"',
    );
  });
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
}
