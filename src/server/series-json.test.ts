/** The hand-written series body is the same JSON the generic encoder gives. */
import { expect, it } from "vitest";
import { encodeJson } from "../shared/json-numbers.js";
import { numbersJson, SeriesJsonMemo, seriesJson } from "./series-json.js";

it("writes what encodeJson writes, tagging non-finite numbers and keeping field order", () => {
  const series = [
    {
      run: 'r"1',
      key: "loss/\u00e9",
      x: [0, 0.5, 1e21, -0],
      min: [1.0000000000000002, -3, 5e-324, 2],
      max: [Number.NaN, 1, 2, 3],
      last: [0.1, 0.2, Number.POSITIVE_INFINITY, 4],
      count: [1, 2, 3, 4],
    },
    { run: "r2", key: "k", x: [], min: [], max: [], last: [], count: [] },
  ];
  const all = ["min", "max", "last", "count"] as const;
  expect(seriesJson(series, all)).toBe(encodeJson({ series }));
  const slim = JSON.parse(seriesJson(series, ["last"]));
  expect(slim.series[1]).toEqual({ run: "r2", key: "k", x: [], last: [] });
  expect(slim.series[0].last[2]).toEqual({ $amltk_num: "Infinity" });
});

it("writes the sparse non-finite counts only where a series has them", () => {
  const nonFinite = { x: [3, 9], nan: [2, 0], posInf: [0, 1], negInf: [1, 0] };
  const series = [
    { run: "a", key: "k", x: [0, 3], last: [1, 2], nonFinite },
    { run: "b", key: "k", x: [0], last: [5] },
  ];
  const fields = ["last", "nonFinite"] as const;
  expect(seriesJson(series, fields)).toBe(encodeJson({ series }));
  // Not asked for: not sent.
  expect(JSON.parse(seriesJson(series, ["last"])).series[0]).toEqual({
    run: "a",
    key: "k",
    x: [0, 3],
    last: [1, 2],
  });
});

it("writes any value array (strings, booleans, tags) as encodeJson does", () => {
  for (const a of [
    [1, 2.5, -0],
    ["a", 1],
    [true, 2],
    [Number.NEGATIVE_INFINITY],
    [{ x: 1 }, null],
    [],
  ])
    expect(numbersJson(a)).toBe(encodeJson(a));
});

it("writes the same JSON with a memo, reusing a series' text only while its numbers are equal", () => {
  const memo = new SeriesJsonMemo(2);
  const a = { run: "a", key: "k", x: [0, 1], last: [1, 2] };
  const fields = ["last"] as const;
  const first = seriesJson([a], fields, memo);
  expect(first).toBe(seriesJson([a], fields));
  // Equal numbers in new arrays: the same text; one number changed: written again.
  expect(seriesJson([{ ...a, x: [0, 1], last: [1, 2] }], fields, memo)).toBe(first);
  const moved = { ...a, last: [1, 3] };
  expect(seriesJson([moved], fields, memo)).toBe(seriesJson([moved], fields));
  // Other columns asked for, NaN (never equal), -0 and non-finite counts: as without a memo.
  const odd = { run: "a", key: "k", x: [0, 1], min: [Number.NaN, -0], last: [1, 3] };
  for (let i = 0; i < 2; i++) {
    expect(seriesJson([odd], ["min", "last"], memo)).toBe(seriesJson([odd], ["min", "last"]));
  }
  const nonFinite = { x: [1], nan: [1], posInf: [0], negInf: [0] };
  const withCounts = { ...moved, nonFinite };
  expect(seriesJson([withCounts], ["last", "nonFinite"], memo)).toBe(
    encodeJson({ series: [withCounts] }),
  );
  // Past its size the least recently written go; what is written stays right.
  for (const run of ["b", "c", "d", "a"]) {
    const s = { run, key: "k", x: [0], last: [run.charCodeAt(0)] };
    expect(seriesJson([s], fields, memo)).toBe(seriesJson([s], fields));
  }
});
