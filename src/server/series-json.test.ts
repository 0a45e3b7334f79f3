/** The hand-written series body is the same JSON the generic encoder gives. */
import { expect, it } from "vitest";
import { encodeJson } from "../shared/json-numbers.js";
import { numbersJson, seriesJson } from "./series-json.js";

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
