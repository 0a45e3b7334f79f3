import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { Metric } from "./metric.js";
import { decodeNumber, encodeNumber, TrialReport } from "./report.js";
import { Trial } from "./trial.js";

const acc = new Metric("acc", { minimize: false, bounds: [0, 1] });
const cost = new Metric("cost");

async function sample(): Promise<TrialReport> {
  const t = new Trial({
    name: "t1",
    config: { lr: 0.1, opt: "adam", layers: [1, 2] },
    seed: 3,
    metrics: [acc, cost],
  });
  await t.begin(() => {
    t.summary.epochs = 5;
    throw new Error('oops, "quoted"\nline');
  });
  return t.fail(undefined, { acc: 0.5 });
}

describe("TrialReport", () => {
  it("row() is a flat df-like row", async () => {
    const r = await sample();
    const row = r.row();
    expect(row.name).toBe("t1");
    expect(row.status).toBe("fail");
    expect(row.seed).toBe(3);
    expect(row.exception).toBe('oops, "quoted"\nline');
    expect(String(row.traceback)).toContain("oops");
    expect(row.created_at).toBe(r.createdAt);
    expect(row.reported_at).toBe(r.reportedAt);
    expect(row["metric:acc"]).toBe(0.5);
    expect(row["metric:cost"]).toBe("inf");
    expect(row["summary:epochs"]).toBe(5);
    expect(row["config:lr"]).toBe(0.1);
    expect(row["config:opt"]).toBe("adam");
    expect(row["config:layers"]).toBe("[1,2]");
    for (const k of ["start", "end", "duration", "kind"]) {
      expect(row).toHaveProperty(`profile:trial:time:${k}`);
    }
    for (const k of ["start", "end", "diff", "unit"]) {
      expect(row).toHaveProperty(`profile:trial:memory:${k}`);
    }
    expect(row["profile:trial:time:kind"]).toBe("wall");
    expect(row["profile:trial:memory:unit"]).toBe("bytes");
    expect(typeof row["profile:trial:cpu:duration"]).toBe("number");
  });

  it("round trips through JSON text and structured clone", async () => {
    const r = await sample();
    const viaJSON = TrialReport.fromJSON(JSON.parse(JSON.stringify(r)));
    expect(viaJSON).toEqual(r);
    expect(viaJSON.values.cost).toBe(Number.POSITIVE_INFINITY);
    expect(viaJSON.metric("acc")?.toString()).toBe("acc [0.0, 1.0] (maximize)");
    const viaClone = TrialReport.fromJSON(structuredClone(r.toJSON()));
    expect(viaClone).toEqual(r);
    expect(viaClone.row()).toEqual(r.row());
  });

  it("toJSON names non-plain summary values", () => {
    const t = new Trial({ name: "fn", config: {} });
    t.summary.callback = () => 1;
    const r = t.success({});
    expect(() => r.toJSON()).toThrow(/"fn": summary must hold plain data/);
  });

  it("crosses a message port (structured clone) intact", async () => {
    const r = await sample();
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<unknown>((resolve) => port2.once("message", resolve));
    port1.postMessage(r.toJSON());
    const back = TrialReport.fromJSON((await received) as ReturnType<TrialReport["toJSON"]>);
    port1.close();
    port2.close();
    expect(back).toEqual(r);
  });

  it("fromJSON rejects garbage", () => {
    expect(() => TrialReport.fromJSON(null as never)).toThrow(/string `name`/);
    expect(() => TrialReport.fromJSON({} as never)).toThrow(/string `name`/);
  });

  it("encodes non-finite numbers", () => {
    for (const x of [1.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(decodeNumber(encodeNumber(x))).toBe(x);
    }
    expect(Number.isNaN(decodeNumber(encodeNumber(Number.NaN)))).toBe(true);
  });
});
