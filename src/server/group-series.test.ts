import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../store/types.js";
import { groupRuns } from "./run-groups.js";
import {
  MEMORY_BACKEND,
  SQLITE_BACKEND,
  type StoreBackend,
  startServerOn,
  T0,
  type TestServer,
} from "./server.test-helpers.js";

let ts: TestServer<Store> | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

/**
 * 30 runs: optimizer adam (20 runs) or sgd (10), each logging loss = k + step for 100 steps
 * (k = the run's index), except that sgd runs log every other step only.
 */
async function fill(t: TestServer<Store>): Promise<void> {
  for (let k = 0; k < 30; k++) {
    const id = `r${String(k).padStart(2, "0")}`;
    const opt = k < 20 ? "adam" : "sgd";
    await t.store.createRun({
      id,
      project: "p",
      name: id,
      config: { opt, lr: 10 ** -(k % 5) },
      createdAt: T0 + k,
    });
    const rows = [];
    for (let s = 0; s < 100; s += opt === "sgd" ? 2 : 1) {
      rows.push({ step: s, runtime: s, timestamp: T0 / 1000 + s, values: { loss: k + s } });
    }
    await t.store.appendHistory(id, rows);
  }
}

describe.each<StoreBackend>([SQLITE_BACKEND, MEMORY_BACKEND])(
  "POST /api/series/groups ($name)",
  (backend) => {
    it("aggregates every run of each group per bucket, in one request", async () => {
      ts = await startServerOn(backend);
      await fill(ts);
      const res = await ts.call("POST", "/api/series/groups", {
        runsQuery: "project=p&limit=1000",
        by: "config.opt",
        keys: ["loss"],
        buckets: 100,
        percentiles: [10, 90],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.groups).toEqual([
        { label: "opt=adam", runs: 20 },
        { label: "opt=sgd", runs: 10 },
      ]);
      const [adam, sgd] = res.body.series;
      expect(adam.group).toBe("opt=adam");
      expect(adam.x[0]).toBe(0);
      expect(adam.x).toHaveLength(100);
      // adam: k = 0..19, loss = k + step: mean 9.5 + step, min step, max 19 + step.
      expect(adam.mean[10]).toBeCloseTo(19.5);
      expect(adam.min[10]).toBe(10);
      expect(adam.max[10]).toBe(29);
      expect(adam.n[10]).toBe(20);
      // Population std of 0..19.
      expect(adam.std[10]).toBeCloseTo(Math.sqrt((20 * 20 - 1) / 12));
      expect(adam.lo[10]).toBeCloseTo(10 + 0.1 * 19);
      expect(adam.hi[10]).toBeCloseTo(10 + 0.9 * 19);
      // sgd logs even steps only; its odd buckets are interpolated, so all 10 runs count there.
      expect(sgd.n[11]).toBe(10);
      expect(sgd.mean[11]).toBeCloseTo(24.5 + 11);
    });

    it("answers a repeated request again after the store changed (no stale cached groups)", async () => {
      ts = await startServerOn(backend);
      await fill(ts);
      const body = { runs: ["r00", "r01"], by: "config.opt", keys: ["loss"], buckets: 10 };
      const first = await ts.call("POST", "/api/series/groups", body);
      expect((await ts.call("POST", "/api/series/groups", body)).body).toEqual(first.body);
      await ts.store.appendHistory("r00", [
        { step: 100, runtime: 100, timestamp: T0 / 1000 + 100, values: { loss: 1000 } },
      ]);
      const after = await ts.call("POST", "/api/series/groups", body);
      expect(Math.max(...after.body.series[0].max)).toBe(1000);
    });

    it("aligns runs by time since each start, and counts every run of a group of 250", async () => {
      ts = await startServerOn(backend);
      // More runs than one store read takes (group-reads.ts): every slice must be counted.
      for (let k = 0; k < 250; k++) {
        const id = `t${k}`;
        const createdAt = T0 + k * 60_000;
        await ts.store.createRun({ id, project: "q", name: id, group: "g", createdAt });
        const rows = Array.from({ length: 10 }, (_, s) => ({
          step: s,
          runtime: s,
          timestamp: createdAt / 1000 + s,
          values: { loss: k + s },
        }));
        await ts.store.appendHistory(id, rows);
      }
      for (const x of ["relative", "step"] as const) {
        const res = await ts.call("POST", "/api/series/groups", {
          runsQuery: "project=q&limit=1000",
          by: "group",
          keys: ["loss"],
          x,
          buckets: 10,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const [g] = res.body.series;
        // 10 buckets over 0..9 steps, or 0..9 s since each run's start (ms), whatever its wall time.
        const unit = x === "step" ? 1 : 1000;
        expect(g.x.map((v: number) => +v.toFixed(6))).toEqual(
          Array.from({ length: 10 }, (_, i) => +(i * 0.9 * unit).toFixed(6)),
        );
        expect(g.n).toEqual(Array(10).fill(250));
        // loss = k + s: the mean of k = 0..249 is 124.5.
        expect(g.mean[0]).toBeCloseTo(124.5);
        expect(g.mean[9]).toBeCloseTo(133.5);
        expect([g.min[0], g.max[0]]).toEqual([0, 249]);
      }
    });

    it("puts a logged metric on x (xKey): runs that log it at other step rates line up", async () => {
      ts = await startServerOn(backend);
      // Both log loss = 10 * epoch; "fast" has 10 steps per epoch, "slow" 20.
      for (const [id, perEpoch] of [
        ["fast", 10],
        ["slow", 20],
      ] as const) {
        await ts.store.createRun({ id, project: "e", name: id, group: "g", createdAt: T0 });
        const rows = Array.from({ length: 10 * perEpoch }, (_, s) => {
          const epoch = Math.floor(s / perEpoch);
          return {
            step: s,
            runtime: s,
            timestamp: T0 / 1000 + s,
            values: { epoch, loss: 10 * epoch },
          };
        });
        await ts.store.appendHistory(id, rows);
      }
      const body = { runsQuery: "project=e", by: "group", keys: ["loss"], buckets: 10 };
      const res = await ts.call("POST", "/api/series/groups", { ...body, xKey: "epoch" });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const [g] = res.body.series;
      // Epochs 0..9 in 10 buckets: the same loss at the same epoch, whatever the step.
      expect(g.x.map((x: number) => +x.toFixed(6))).toEqual(
        Array.from({ length: 10 }, (_, k) => +(k * 0.9).toFixed(6)),
      );
      expect(g.mean.map((m: number) => Math.round(m))).toEqual([
        0, 10, 20, 30, 40, 50, 60, 70, 80, 90,
      ]);
      expect(Math.max(...g.std)).toBeCloseTo(0);
      expect(g.n.slice(1)).toEqual(Array(9).fill(2));
      // By step the two runs disagree.
      const bySteps = await ts.call("POST", "/api/series/groups", body);
      expect(Math.max(...bySteps.body.series[0].std)).toBeGreaterThan(1);
      const bad = await ts.call("POST", "/api/series/groups", {
        ...body,
        x: "time",
        xKey: "epoch",
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe("xKey");
    });

    it("bins the range asked for (zoom) and refuses bad input naming the field", async () => {
      ts = await startServerOn(backend);
      await fill(ts);
      const res = await ts.call("POST", "/api/series/groups", {
        runs: ["r00", "r01", "r25"],
        by: "config.opt",
        keys: ["loss"],
        buckets: 10,
        xMin: 40,
        xMax: 60,
      });
      expect(res.status).toBe(200);
      expect(res.body.groups).toEqual([
        { label: "opt=adam", runs: 2 },
        { label: "opt=sgd", runs: 1 },
      ]);
      expect(res.body.series[0].x).toEqual([40, 42, 44, 46, 48, 50, 52, 54, 56, 58]);
      expect(res.body.series[0].mean[0]).toBeCloseTo(41.5);
      const bad = await ts.call("POST", "/api/series/groups", {
        runs: [],
        by: "nope",
        keys: ["loss"],
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe("by");
      const both = await ts.call("POST", "/api/series/groups", {
        runs: [],
        runsQuery: "project=p",
        by: "group",
        keys: ["loss"],
      });
      expect(both.status).toBe(400);
      expect(both.body.error.field).toBe("runsQuery");
    });
  },
);

describe("POST /api/keys", () => {
  it("unites the runs' keys, counts who logged each, and tells numeric keys from text", async () => {
    ts = await startServerOn(SQLITE_BACKEND);
    for (const [id, values] of [
      ["a", { loss: 1, status: "ok", _runtime: 3 }],
      ["b", { loss: 2, only_b: Number.NaN }],
      ["c", { acc: 0.5, status: "failed" }],
    ] as const) {
      await ts.store.createRun({ id, project: "p", name: id, createdAt: T0 });
      await ts.store.appendHistory(id, [{ step: 0, runtime: 0, timestamp: T0 / 1000, values }]);
    }
    const res = await ts.call("POST", "/api/keys", { runs: ["a", "b", "c"] });
    expect(res.status).toBe(200);
    expect(res.body.keys).toEqual([
      { key: "acc", runs: 1, numeric: true },
      { key: "loss", runs: 2, numeric: true },
      { key: "only_b", runs: 1, numeric: false },
      { key: "status", runs: 2, numeric: false },
    ]);
    const byQuery = await ts.call("POST", "/api/keys", { runsQuery: "project=p&limit=2" });
    expect(byQuery.body.keys.length).toBeGreaterThan(0);
  });
});

describe("groupRuns", () => {
  const run = (id: string, config: Record<string, unknown>) => ({
    id,
    group: null,
    tags: [],
    config,
    summary: {},
  });

  it("bins a numeric key of many values into ordered ranges, log-spaced over decades", () => {
    const runs = Array.from({ length: 40 }, (_, i) =>
      run(`r${i}`, { lr: 10 ** (-5 + (i % 20) / 5) }),
    );
    runs.push(run("none", {}));
    const g = groupRuns(runs, "config.lr");
    const labels = [...g.keys()];
    expect(labels).toHaveLength(7);
    expect(labels[0]).toMatch(/^lr ∈ \[1e-5, 4\.\d+e-5\)$/);
    expect(labels[5]).toBe("lr ∈ [0.0147, 0.0631]");
    expect(labels.at(-1)).toBe("(no lr)");
    expect([...g.values()].reduce((n, rs) => n + rs.length, 0)).toBe(41);
  });

  it("keeps few numeric values as they are, in numeric order", () => {
    const runs = [10, 2, 2, 1].map((w, i) => run(`r${i}`, { width: w }));
    expect([...groupRuns(runs, "config.width").keys()]).toEqual(["width=1", "width=2", "width=10"]);
  });
});
