import { describe, expect, it } from "vitest";
import { Metric } from "./metric.js";

describe("Metric", () => {
  it("defaults to minimize without bounds", () => {
    const m = new Metric("cost");
    expect(m.minimize).toBe(true);
    expect(m.bounds).toBeUndefined();
    expect(m.worst).toBe(Number.POSITIVE_INFINITY);
    expect(m.optimal).toBe(Number.NEGATIVE_INFINITY);
    expect(m.loss(3)).toBe(3);
    expect(String(m)).toBe("cost (minimize)");
  });

  it("derives worst/optimal and loss for a bounded maximized metric", () => {
    const acc = new Metric("acc", { minimize: false, bounds: [0, 1] });
    expect(acc.worst).toBe(0);
    expect(acc.optimal).toBe(1);
    expect(acc.loss(0.9)).toBe(-0.9);
    expect(acc.normalizedLoss(0.9)).toBeCloseTo(0.1);
    expect(acc.normalizedLoss(1)).toBe(0);
    expect(acc.isBetter(0.9, 0.8)).toBe(true);
    expect(acc.toString()).toBe("acc [0.0, 1.0] (maximize)");
  });

  it("bounded minimized metric", () => {
    const m = new Metric("err", { bounds: [0, 2.5] });
    expect(m.worst).toBe(2.5);
    expect(m.optimal).toBe(0);
    expect(m.normalizedLoss(1.25)).toBe(0.5);
    expect(m.isBetter(0.1, 0.2)).toBe(true);
    expect(`${m}`).toBe("err [0.0, 2.5] (minimize)");
  });

  it("rejects bad bounds and names", () => {
    expect(() => new Metric("a", { bounds: [1, 1] })).toThrow(/low < high/);
    expect(() => new Metric("a", { bounds: [2, 1] })).toThrow(/low < high/);
    expect(() => new Metric("a", { bounds: [Number.NaN, 1] })).toThrow(/must be numbers/);
    expect(() => new Metric("a", { bounds: [0] as unknown as [number, number] })).toThrow(/pair/);
    expect(() => new Metric("")).toThrow(/non-empty/);
  });

  it("round trips through JSON", () => {
    const acc = new Metric("acc", { minimize: false, bounds: [0, 1] });
    const back = Metric.fromJSON(JSON.parse(JSON.stringify(acc)));
    expect(back).toEqual(acc);
    expect(Metric.fromJSON(new Metric("c").toJSON()).bounds).toBeUndefined();
  });
});
