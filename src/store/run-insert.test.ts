import { expect, it } from "vitest";
import { encodeJson } from "../shared/json-numbers.js";
import { newRunValues, rememberCheckedRun } from "./run-insert.js";
import type { RunInit } from "./types.js";

const CONFIG_AT = 8;

function run(id: string): RunInit {
  return { id, project: "p", name: "n", createdAt: 1, config: { lr: Number.NaN, depth: 3 } };
}

it("stores a run remembered as checked with its remembered config text", () => {
  const checked = run("a");
  rememberCheckedRun(checked, encodeJson(checked.config));
  const values = newRunValues(checked, encodeJson).values;
  expect(values[CONFIG_AT]).toBe('{"lr":{"$amltk_num":"NaN"},"depth":3}');
  expect(values.slice(0, 2)).toEqual(["a", "p"]);
});

it("checks a run it was not told about, and a copy of a remembered one", () => {
  expect(() => newRunValues({ ...run("b"), project: "" }, encodeJson)).toThrow(/project/);
  const checked = run("c");
  rememberCheckedRun(checked, encodeJson(checked.config));
  expect(() => newRunValues({ ...checked, id: "bad id" }, encodeJson)).toThrow(/invalid run id/);
});
