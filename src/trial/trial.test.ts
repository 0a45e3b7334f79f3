import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Metric } from "./metric.js";
import { TrialReport } from "./report.js";
import { Trial } from "./trial.js";

const base = mkdtempSync(join(tmpdir(), "amltk-trial-test-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const acc = new Metric("acc", { minimize: false, bounds: [0, 1] });
const cost = new Metric("cost");

function make(metrics: Metric[] = [acc, cost]) {
  return new Trial({ name: "t1", config: { lr: 0.1 }, seed: 7, metrics, storageDir: base });
}

describe("Trial", () => {
  it("holds its fields", () => {
    const t = new Trial({
      name: "t",
      config: { a: 1 },
      fidelities: { epochs: 3 },
      storageDir: base,
    });
    expect(t.config.a).toBe(1);
    expect(t.seed).toBeUndefined();
    expect(t.fidelities).toEqual({ epochs: 3 });
    expect(t.summary).toEqual({});
    t.plugins.wandb = { run: 1 };
    expect(t.plugins.wandb).toEqual({ run: 1 });
    expect(t.createdAt).toBeLessThanOrEqual(Date.now());
    expect(Trial.Report).toBe(TrialReport);
  });

  it("creates its storage folder only on first use", () => {
    const t = new Trial({ name: "a/b c", config: {}, storageDir: base });
    expect(existsSync(t.storage)).toBe(false);
    const p = t.storagePath("model.json");
    expect(existsSync(t.storage)).toBe(true);
    writeFileSync(p, "{}");
    expect(p.startsWith(base)).toBe(true);
    expect(t.storage).toBe(join(base, "a_b_c"));
  });

  it("begin profiles the block and returns its value", async () => {
    const t = make();
    const out = await t.begin(async () => {
      let x = 0;
      for (let i = 0; i < 1e5; i++) x += i;
      await new Promise((r) => setTimeout(r, 10));
      return x;
    });
    expect(out).toBeGreaterThan(0);
    const p = t.profiles.trial;
    expect(p.time.duration).toBeGreaterThan(0.005);
    expect(p.time.end).toBeGreaterThanOrEqual(p.time.start);
    expect(p.cpu.duration).toBeGreaterThanOrEqual(0);
    expect(p.memory.diff).toBe(p.memory.end - p.memory.start);
    expect(p.memory.start).toBeGreaterThan(0);
    expect(t.exception).toBeUndefined();
  });

  it("begin captures a thrown error instead of propagating", async () => {
    const t = make();
    const out = await t.begin(() => {
      throw new Error("boom");
    });
    expect(out).toBeUndefined();
    expect(t.exception?.message).toBe("boom");
    expect(t.traceback).toContain("boom");
    expect(t.profiles.trial).toBeDefined();
    const r = t.fail();
    expect(r.status).toBe("fail");
    expect(r.exception).toBe("boom");
    expect(r.traceback).toContain("boom");
    expect(r.values).toEqual({ acc: 0, cost: Number.POSITIVE_INFINITY });
  });

  it("wraps non-Error throws", async () => {
    const t = make();
    await t.begin(() => {
      throw "str";
    });
    expect(t.exception).toBeInstanceOf(Error);
    expect(t.exception?.message).toBe("str");
  });

  it("success requires every declared metric and no unknown ones", () => {
    const t = make();
    expect(() => t.success({ acc: 0.9 })).toThrow(/missing metric\(s\): cost/);
    expect(() => t.success({ acc: 0.9, cost: 1, loss: 2 })).toThrow(/unknown metric\(s\): loss/);
    expect(() => t.success({ acc: "x" as unknown as number, cost: 1 })).toThrow(/numbers: acc/);
    t.summary.note = "ok";
    const r = t.success({ acc: 0.9, cost: 1 });
    expect(r.status).toBe("success");
    expect(r.values).toEqual({ acc: 0.9, cost: 1 });
    expect(r.name).toBe("t1");
    expect(r.seed).toBe(7);
    expect(r.summary).toEqual({ note: "ok" });
    expect(r.config).toEqual({ lr: 0.1 });
    expect(r.exception).toBeNull();
    expect(r.reportedAt).toBeGreaterThanOrEqual(r.createdAt);
  });

  it("success accepts any numeric values when no metrics are declared", () => {
    const t = make([]);
    expect(t.success({ anything: 1 }).values).toEqual({ anything: 1 });
    expect(t.success().values).toEqual({});
  });

  it("fail fills worst values and rejects unknown metrics", () => {
    const t = make();
    const r = t.fail(new Error("bad"), { cost: 3 });
    expect(r.values).toEqual({ acc: 0, cost: 3 });
    expect(r.exception).toBe("bad");
    expect(() => t.fail(undefined, { nope: 1 })).toThrow(/unknown metric\(s\): nope/);
    expect(t.fail().exception).toBeNull();
  });

  it("crashed records the error with worst values", () => {
    const r = make().crashed(new TypeError("broken"));
    expect(r.status).toBe("crashed");
    expect(r.exception).toBe("broken");
    expect(r.traceback).toContain("TypeError");
    expect(r.values).toEqual({ acc: 0, cost: Number.POSITIVE_INFINITY });
  });

  it("crashed defaults to the captured exception", async () => {
    const t = make();
    await t.begin(() => {
      throw new Error("inner");
    });
    const r = t.crashed();
    expect(r.exception).toBe("inner");
    expect(r.traceback).toBe(t.traceback);
  });

  it("rejects duplicate metrics and empty names", () => {
    expect(() => make([cost, cost])).toThrow(/declared twice/);
    expect(() => new Trial({ name: "", config: {} })).toThrow(/non-empty/);
  });

  it("reports are snapshots of the summary", () => {
    const t = make([]);
    t.summary.x = 1;
    const r = t.success({});
    t.summary.x = 2;
    expect(r.summary.x).toBe(1);
  });

  it("Trial.Report works as a type", async () => {
    const run = async (t: Trial): Promise<Trial.Report> => t.success({ acc: 1, cost: 0 });
    const r: Trial.Report = await run(make());
    const s: Trial.Status = r.status;
    expect(s).toBe("success");
  });
});
