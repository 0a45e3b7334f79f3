/** The dashboard's pure parts, without a browser: filter syntax and series transforms. */

import { describe, expect, it } from "vitest";
import type { Run } from "../../web/src/api.js";
import { axisLabels } from "../../web/src/charts/axis.js";
import {
  align,
  ema,
  groupStats,
  interpolate,
  positiveOnly,
} from "../../web/src/charts/transform.js";
import { FilterSyntaxError, parseFilter } from "../../web/src/filter.js";
import { importance } from "../../web/src/hpo/importance.js";
import { flatEntries, pathValue } from "../../web/src/run-fields.js";
import { groupRuns } from "../../web/src/runs-table.js";

describe("parseFilter", () => {
  it("reads clauses, operators and value types; bare names mean config keys", () => {
    expect(
      parseFilter("lr >= 0.01; state = running and summary.cost < 2; opt in adam,sgd; name ~ mlp"),
    ).toEqual([
      { field: "config.lr", op: "ge", value: 0.01 },
      { field: "state", op: "eq", value: "running" },
      { field: "summary.cost", op: "lt", value: 2 },
      { field: "config.opt", op: "in", value: ["adam", "sgd"] },
      { field: "name", op: "contains", value: "mlp" },
    ]);
    expect(parseFilter('config.flag != true; config.tag = "3"')).toEqual([
      { field: "config.flag", op: "ne", value: true },
      { field: "config.tag", op: "eq", value: "3" },
    ]);
    expect(parseFilter("  ")).toEqual([]);
  });

  it("reads tags, nested config keys, quotes around and/;, or, NaN and Infinity", () => {
    expect(parseFilter("tags = wide; tags ~ wi; schedule.kind = cosine")).toEqual([
      { field: "tags", op: "eq", value: "wide" },
      { field: "tags", op: "contains", value: "wi" },
      { field: "config.schedule.kind", op: "eq", value: "cosine" },
    ]);
    expect(parseFilter('note = "a and b; c" and opt in "x,y",z')).toEqual([
      { field: "config.note", op: "eq", value: "a and b; c" },
      { field: "config.opt", op: "in", value: ["x,y", "z"] },
    ]);
    expect(parseFilter("opt = adam or opt = sgd OR opt in a,b")).toEqual([
      { field: "config.opt", op: "in", value: ["adam", "sgd", "a", "b"] },
    ]);
    const [nan, inf] = parseFilter("summary.cost = NaN; summary.cost != -Infinity");
    expect(Number.isNaN(nan!.value)).toBe(true);
    expect(inf!.value).toBe(Number.NEGATIVE_INFINITY);
    expect(() => parseFilter("opt = a or lr = 1")).toThrow(/one field/);
    expect(() => parseFilter('note = "open')).toThrow(/unclosed quote/);
  });

  it("names the clause it cannot read", () => {
    expect(() => parseFilter("lr 0.1")).toThrow(FilterSyntaxError);
    expect(() => parseFilter("lr 0.1")).toThrow(/"lr 0.1"/);
    expect(() => parseFilter("lr >")).toThrow(/missing value/);
  });
});

describe("axis labels", () => {
  it("uses the fewest significant digits that tell ticks apart, SI and scientific forms", () => {
    expect(axisLabels([1e-5, 1e-4, 2e-4, 3e-4])).toEqual(["1e-5", "1e-4", "2e-4", "3e-4"]);
    expect(axisLabels([0.002, 0.0025, 0.003])).toEqual(["0.002", "0.0025", "0.003"]);
    expect(axisLabels([1e8, 1.5e8, 2e8])).toEqual(["100M", "150M", "200M"]);
    expect(axisLabels([100000, 100500, 101000])).toEqual(["100k", "100.5k", "101k"]);
    expect(axisLabels([0, 0.5, 1])).toEqual(["0", "0.5", "1"]);
    expect(axisLabels([-2000, 0, 2000])).toEqual(["-2000", "0", "2000"]);
  });
});

describe("series transforms", () => {
  it("aligns series with different x onto one sorted axis, gaps as null", () => {
    const { x, ys } = align([
      { x: [0, 2], y: [1, 3] },
      { x: [1, 2], y: [5, Number.NaN] },
    ]);
    expect(x).toEqual([0, 1, 2]);
    expect(ys).toEqual([
      [1, null, 3],
      [null, 5, null],
    ]);
  });

  it("smooths with a debiased EMA that keeps gaps and leaves weight 0 alone", () => {
    const col = [10, 10, null, 10];
    expect(ema(col, 0)).toBe(col);
    expect(ema(col, 0.9)).toEqual(
      [10, 10, null, 10].map((v) => (v === null ? null : expect.closeTo(v, 9))),
    );
    const step = ema([0, 1, 1, 1], 0.5);
    expect(step[0]).toBe(0);
    expect(step[3]!).toBeGreaterThan(step[1]!);
    expect(step[3]!).toBeLessThan(1);
  });

  it("computes mean, min and max per x across runs, ignoring gaps", () => {
    const st = groupStats([
      [1, 2, null],
      [3, null, null],
    ]);
    expect(st).toEqual({ mean: [2, 2, null], min: [1, 2, null], max: [3, 2, null] });
  });

  it("interpolates inside a run's range only, and drops non-positive values for log scales", () => {
    expect(interpolate([0, 1, 3, 4], [0, null, 6, null])).toEqual([0, 2, 6, null]);
    expect(positiveOnly([1, 0, -1, null, 2])).toEqual([1, null, null, null, 2]);
  });
});

describe("parameter importance", () => {
  it("is 1 for a monotone number or a category that decides the metric, and 0 for noise", () => {
    const metric = [1, 4, 9, 16, 25, 36];
    const imp = importance(
      new Map<string, unknown[]>([
        ["lr", [0.001, 0.01, 0.1, 1, 10, 100]],
        ["opt", ["a", "a", "a", "b", "b", "b"]],
        ["seed", [1, 1, 1, 1, 1, 1]],
      ]),
      metric,
    );
    expect(imp.get("lr")).toBeCloseTo(1, 9);
    expect(imp.get("opt")!).toBeGreaterThan(0.8);
    expect(imp.get("seed")).toBe(0);
    expect([...imp.keys()][0]).toBe("lr");
    const decided = importance(new Map([["opt", ["a", "b", "a", "b"]]]), [1, 5, 1, 5]);
    expect(decided.get("opt")).toBeCloseTo(1, 9);
  });
});

describe("nested configs", () => {
  it("flatten to dotted keys that pathValue reads back", () => {
    const config = { lr: 0.1, model: { layers: 3, act: { kind: "relu" } }, sizes: [1, 2] };
    const flat = flatEntries(config);
    expect(flat).toEqual([
      ["lr", 0.1],
      ["model.layers", 3],
      ["model.act.kind", "relu"],
      ["sizes", [1, 2]],
    ]);
    const run = { config };
    for (const [k, v] of flat) expect(pathValue(run, `config.${k}`)).toEqual(v);
    // A key that itself contains a dot (W&B-style flattened config) is found whole.
    expect(pathValue({ config: { "opt.lr": 0.3 } }, "config.opt.lr")).toBe(0.3);
  });
});

describe("groupRuns", () => {
  const run = (id: string, group: string | null, tags: string[], layers?: number) =>
    ({ id, group, tags, config: layers === undefined ? {} : { layers } }) as unknown as Run;
  const runs = [run("a", "g2", ["x"], 10), run("b", "g1", [], 2), run("c", null, ["x", "y"], 2)];

  it("groups by group, by tag (a run under each of its tags) and by a config key, in natural order", () => {
    const ids = (m: Map<string, Run[]>) => [...m].map(([k, rs]) => [k, rs.map((r) => r.id)]);
    expect(ids(groupRuns(runs, "group"))).toEqual([
      ["g1", ["b"]],
      ["g2", ["a"]],
      ["(no group)", ["c"]],
    ]);
    expect(ids(groupRuns(runs, "tags"))).toEqual([
      ["x", ["a", "c"]],
      ["y", ["c"]],
      ["(no tags)", ["b"]],
    ]);
    expect(ids(groupRuns(runs, "config.layers"))).toEqual([
      ["layers=2", ["b", "c"]],
      ["layers=10", ["a"]],
    ]);
  });
});
