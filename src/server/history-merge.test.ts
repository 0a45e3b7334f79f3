import { afterEach, describe, expect, it } from "vitest";
import type { HistoryColumns } from "../protocol/batch.js";
import type { Store } from "../store/types.js";
import { joinable, joinColumns } from "./history-merge.js";
import {
  createOp,
  STORE_BACKENDS,
  startServerOn,
  T0,
  type TestServer,
} from "./server.test-helpers.js";

/** `n` rows from `from`: a dense `loss` (NaN at step 7), a sparse `acc` and a text label. */
function cols(from: number, n: number): HistoryColumns {
  const steps = Array.from({ length: n }, (_, i) => from + i);
  const sparse = steps.map((_, i) => i).filter((i) => (from + i) % 3 === 0);
  return {
    steps,
    runtimes: steps.map((s) => s / 10),
    timestamps: steps.map((s) => T0 / 1000 + s),
    columns: {
      loss: { values: steps.map((s) => (s === 7 ? Number.NaN : 1 / (s + 1))) },
      acc: { rows: sparse, values: sparse.map((i) => from + i) },
    },
    others: steps.flatMap((s, i) =>
      s % 5 === 0 ? [{ row: i, key: "label", value: `s${s}` }] : [],
    ),
  };
}

describe("joinColumns", () => {
  it("puts ops' rows one after another, each key's rows shifted by the rows before", () => {
    const b = joinColumns([cols(0, 4), cols(4, 3)]);
    expect(b.rows).toBe(7);
    expect([...b.steps]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([...b.runtimes]).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const acc = b.columns.get("acc")!;
    expect([...acc.rows.subarray(0, acc.n)]).toEqual([0, 3, 6]);
    expect([...acc.values.subarray(0, acc.n)]).toEqual([0, 3, 6]);
    expect(b.columns.get("loss")!.n).toBe(7);
    expect(b.others).toEqual([
      { row: 0, key: "label", value: "s0" },
      { row: 5, key: "label", value: "s5" },
    ]);
  });

  it("joins only ops whose steps, taken together, strictly increase", () => {
    expect(joinable(cols(0, 4), cols(4, 2))).toBe(true);
    expect(joinable(cols(0, 4), cols(3, 2))).toBe(false); // step 3 written twice
    expect(joinable(cols(0, 4), cols(9, 0))).toBe(false); // empty: its own op (a 404 check)
    const unordered = { ...cols(0, 2), steps: [1, 0] };
    expect(joinable(unordered, cols(5, 2))).toBe(false);
  });
});

let ts: TestServer<Store> | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

/** Every point of every key of `run`, in step order. */
async function allPoints(store: Store, run: string) {
  const keys = (await store.historyKeys(run)).map((k) => k.key).sort();
  return Promise.all(
    keys.map(async (key) => ({ key, points: await store.readPoints({ runId: run, key }) })),
  );
}

describe.each(STORE_BACKENDS)("a request of many history ops on $name", (backend) => {
  it("stores what one request per op stores (summary patches between), exactly once across a resend", async () => {
    ts = await startServerOn(backend);
    // Nine small flushes, then one that rewrites steps 40-41 (joins nothing), then two more.
    const parts = [...Array.from({ length: 9 }, (_, i) => cols(i * 5, 5)), cols(40, 4)];
    parts.push(cols(44, 6), cols(50, 3));
    // Each flush's history, then its summary patch, as the SDK sends them.
    const ops = parts.flatMap((c, i) => [
      { seq: 2 * i + 2, type: "history_cols", cols: c },
      { seq: 2 * i + 3, type: "patch", patch: { summary: { last: i }, heartbeatAt: T0 + i } },
    ]);
    // One op per request: the reference.
    await ts.call("POST", "/api/runs/one/batch", { writer: "writer-0001", ops: [createOp(1)] });
    for (const op of ops) {
      const r = await ts.call("POST", "/api/runs/one/batch", { writer: "writer-0001", ops: [op] });
      expect(r.body).toMatchObject({ applied: 1 });
    }
    // All in two requests, the second resending the first's last five ops.
    const first = await ts.call("POST", "/api/runs/all/batch", {
      writer: "writer-0001",
      ops: [createOp(1), ...ops.slice(0, 16)],
    });
    expect(first.body).toMatchObject({ applied: 17, skipped: 0, lastSeq: 17 });
    const second = await ts.call("POST", "/api/runs/all/batch", {
      writer: "writer-0001",
      ops: ops.slice(6),
    });
    expect(second.body).toMatchObject({ applied: 8, skipped: 10, lastSeq: 25, nextStep: 53 });
    const reference = await allPoints(ts.store, "one");
    expect(reference.map((k) => k.key)).toEqual(["acc", "label", "loss"]);
    // Steps 0-52 (a store may keep a rewritten step once or as each write: the same for both runs).
    const lossSteps = reference.find((k) => k.key === "loss")!.points.map((p) => p.step);
    expect(new Set(lossSteps).size).toBe(53);
    expect(await allPoints(ts.store, "all")).toEqual(reference);
    expect(await ts.store.historyKeys("all")).toEqual(await ts.store.historyKeys("one"));
    const { id: _a, ...all } = (await ts.store.getRun("all"))!;
    const { id: _o, ...one } = (await ts.store.getRun("one"))!;
    expect(all.summary).toEqual({ last: 11 });
    expect(all).toEqual(one);
  });

  it("refuses a bad patch between joined history ops naming that op, and writes nothing", async () => {
    ts = await startServerOn(backend);
    const ops = [
      createOp(1),
      { seq: 2, type: "history_cols", cols: cols(0, 5) },
      { seq: 3, type: "patch", patch: { summary: { last: 0 } } },
      { seq: 4, type: "history_cols", cols: cols(5, 5) },
      { seq: 5, type: "patch", patch: { summary: { last: 1 }, heartbeatAt: "soon" } },
      { seq: 6, type: "history_cols", cols: cols(10, 5) },
      { seq: 7, type: "patch", patch: { summary: { last: 2 } } },
    ];
    const refused = await ts.call("POST", "/api/runs/bad/batch", { writer: "writer-0001", ops });
    expect(refused.status).toBe(400);
    expect(refused.body.error.field).toMatch(/^ops\[4\]/);
    expect(await ts.store.getRun("bad")).toBeUndefined();
  });
});
