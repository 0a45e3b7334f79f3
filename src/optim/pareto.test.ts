import { describe, expect, it } from "vitest";
import { History } from "../trial/history.js";
import { Metric } from "../trial/metric.js";
import { Trial } from "../trial/trial.js";
import {
  crowdingDistance,
  dominates,
  hypervolume2D,
  nonDominatedSort,
  paretoFront,
} from "./pareto.js";

describe("pareto", () => {
  it("dominance and non-dominated sorting into fronts", () => {
    expect(dominates([1, 2], [1, 3])).toBe(true);
    expect(dominates([1, 2], [1, 2])).toBe(false);
    expect(dominates([1, 3], [2, 2])).toBe(false);
    expect(
      nonDominatedSort([
        [1, 4],
        [2, 2],
        [3, 3],
        [4, 1],
        [5, 5],
      ]),
    ).toEqual([[0, 1, 3], [2], [4]]);
    expect(nonDominatedSort([])).toEqual([]);
  });

  it("crowding distance: ends infinite, inner points by neighbour gaps", () => {
    expect(
      crowdingDistance(
        [
          [0, 3],
          [1, 1],
          [3, 0],
        ],
        [0, 1, 2],
      ),
    ).toEqual([Infinity, 2, Infinity]);
  });

  it("hypervolume in 2-D", () => {
    expect(
      hypervolume2D(
        [
          [0, 1],
          [1, 0],
        ],
        [2, 2],
      ),
    ).toBe(3);
    expect(
      hypervolume2D(
        [
          [0, 1],
          [1, 0],
          [1, 1],
          [5, 0],
        ],
        [2, 2],
      ),
    ).toBe(3);
  });

  it("paretoFront respects directions, skips failures, works on a History", () => {
    const acc = new Metric("acc", { minimize: false });
    const time = new Metric("time");
    const rows: [string, number, number, boolean][] = [
      ["a", 0.9, 10, true],
      ["b", 0.8, 5, true],
      ["c", 0.7, 6, true], // dominated by b
      ["d", 0.99, 1, false], // failed: never on the front
      ["e", 0.95, 20, true],
    ];
    const history = new History(
      rows.map(([name, a, t, ok]) => {
        const trial = new Trial({ name, config: {}, metrics: [acc, time] });
        return ok
          ? trial.success({ acc: a, time: t })
          : trial.fail(new Error("x"), { acc: a, time: t });
      }),
    );
    expect(paretoFront(history, [acc, time]).map((r) => r.name)).toEqual(["a", "b", "e"]);
    expect(paretoFront(history, ["acc", "time"]).map((r) => r.name)).toEqual(["a", "b", "e"]);
    expect(() => paretoFront(history, [])).toThrow(/at least one/);
  });
});
