import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import type { Store } from "../store/types.js";
import { OnlineStore } from "../track/online/online-store.js";
import { ApiKeys } from "./auth.js";
import { createServer } from "./create-server.js";
import { StoreWithoutTransactionError } from "./ingest.js";
import {
  createOp,
  rows,
  STORE_BACKENDS,
  startServerOn,
  startTestServer,
  T0,
  type TestServer,
  tempDir,
} from "./server.test-helpers.js";

let ts: TestServer<Store> | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

describe("server auth", () => {
  it("refuses writes without a valid key, and reads too when configured", async () => {
    ts = await startTestServer({ auth: { reads: true } });
    const batch = { writer: "writer-0001", ops: [createOp(1)] };
    expect((await ts.call("POST", "/api/runs/a1/batch", batch, null)).status).toBe(401);
    expect(
      (await ts.call("POST", "/api/runs/a1/batch", batch, "amltk_000000000000_" + "x".repeat(43)))
        .status,
    ).toBe(401);
    expect((await ts.call("GET", "/api/runs", undefined, null)).status).toBe(401);
    expect((await ts.call("GET", "/api/health", undefined, null)).body.error.code).toBe(
      "unauthorized",
    );
    expect((await ts.call("POST", "/api/runs/a1/batch", batch)).status).toBe(200);
    expect((await ts.call("GET", "/api/runs")).body.total).toBe(1);
    // revoked from "another process" (a second connection): refused from the next check on
    const other = new ApiKeys(SqliteStore.openSync(ts.dir).db);
    const keyId = ts.key.split("_")[1];
    expect(other.list().map((k) => k.id)).toContain(keyId);
    expect(other.revoke(keyId)).toBe(true);
    expect(other.verify(ts.key)).toBeUndefined();
  });

  it("leaves reads open by default", async () => {
    ts = await startTestServer();
    expect((await ts.call("GET", "/api/health", undefined, null)).body.ok).toBe(true);
    expect((await ts.call("PATCH", "/api/runs/x", { notes: "n" }, null)).status).toBe(401);
  });
});

describe("server over a store without transactions", () => {
  it("is refused at createServer with a typed error naming the store", async () => {
    // The online client store writes through a server; it has no transaction to offer.
    const store = new OnlineStore({ dir: tempDir(), baseUrl: "http://127.0.0.1:9" });
    const err = await createServer({ store, port: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreWithoutTransactionError);
    expect(err).toMatchObject({ code: "store_without_transaction", storeKind: "online" });
    expect((err as Error).message).toContain('"online"');
  });
});

describe("server writes on a full SQLite store", () => {
  it("answers 503 busy, keeps nothing, and applies the same batch once space comes back", async () => {
    const sq = await startTestServer();
    ts = sq;
    const created = await sq.call("POST", "/api/runs/g1/batch", {
      writer: "writer-0001",
      ops: [createOp(1), { seq: 2, type: "history", rows: rows(0, 10) }],
    });
    expect(created.status).toBe(200);
    // No page may be added: the next batch cannot fit (SQLITE_FULL, a StoreFullError).
    const pages = sq.store.db.pragma("page_count", { simple: true }) as number;
    sq.store.db.pragma(`max_page_count = ${pages}`);
    const big = {
      writer: "writer-0001",
      ops: [
        { seq: 3, type: "history", rows: rows(10, 5_000) },
        { seq: 4, type: "patch", patch: { notes: "after the rows" } },
      ],
    };
    const full = await sq.call("POST", "/api/runs/g1/batch", big);
    expect(full.status).toBe(503);
    expect(full.body.error.code).toBe("busy");
    expect(full.body.error.message).toContain(sq.dir);
    expect((await sq.store.getRun("g1"))?.notes).toBeNull();
    expect(await sq.store.readHistory("g1")).toHaveLength(10);
    // The client retries as it does after any 503: nothing was recorded, so all of it applies.
    sq.store.db.pragma("max_page_count = 1073741823");
    const retried = await sq.call("POST", "/api/runs/g1/batch", big);
    expect(retried.body).toEqual({ applied: 2, skipped: 0, lastSeq: 4, nextStep: 5_010 });
    expect((await sq.store.getRun("g1"))?.notes).toBe("after the rows");
  });
});

describe.each(STORE_BACKENDS)("server writes on $name", (backend) => {
  it("applies a batch exactly once per (writer, seq)", async () => {
    ts = await startServerOn(backend);
    const batch = {
      writer: "writer-0001",
      ops: [
        createOp(1),
        { seq: 2, type: "history", rows: rows(0, 50) },
        { seq: 3, type: "console", lines: [{ stream: "stdout", timestamp: 1, text: "x" }] },
        { seq: 4, type: "patch", patch: { summary: { loss: Number.NEGATIVE_INFINITY } } },
      ],
    };
    batch.ops.push({
      seq: 5,
      type: "history_cols",
      cols: {
        steps: [50, 51],
        runtimes: [50, 51],
        timestamps: [1, 2],
        columns: {
          loss: { values: [Number.NaN, 3] },
          other: { rows: [1], values: [9] },
        },
        others: [{ row: 0, key: "label", value: "x" }],
      },
    } as never);
    const first = await ts.call("POST", "/api/runs/b1/batch", batch);
    expect(first.body).toEqual({ applied: 5, skipped: 0, lastSeq: 5, nextStep: 52 });
    // the answer was "lost": the client resends, plus one new op
    const again = await ts.call("POST", "/api/runs/b1/batch", {
      ...batch,
      ops: [...batch.ops, { seq: 6, type: "history", rows: rows(52, 8) }],
    });
    expect(again.body).toEqual({ applied: 1, skipped: 5, lastSeq: 6, nextStep: 60 });
    const keys = await ts.store.historyKeys("b1");
    expect(keys.find((k) => k.key === "loss")?.count).toBe(60);
    const cols = await ts.store.readPoints({ runId: "b1", key: "loss", minStep: 50, maxStep: 51 });
    expect(cols.map((p) => p.value)).toEqual([Number.NaN, 3]);
    expect((await ts.store.readPoints({ runId: "b1", key: "label" }))[0]).toMatchObject({
      step: 50,
      value: "x",
    });
    expect(await ts.store.readConsole("b1")).toHaveLength(1);
    expect((await ts.store.getRun("b1"))?.summary.loss).toBe(Number.NEGATIVE_INFINITY);
    // another writer (a resumed process) has its own sequence
    const resumed = await ts.call("POST", "/api/runs/b1/batch", {
      writer: "writer-0002",
      ops: [
        { ...createOp(1), resume: true },
        { seq: 2, type: "history", rows: rows(60, 5) },
      ],
    });
    expect(resumed.body).toMatchObject({ applied: 2, nextStep: 65 });
  });

  it("writes nothing of a batch the store refuses, ledger included", async () => {
    ts = await startServerOn(backend);
    const ops = [createOp(1), { seq: 2, type: "history", rows: rows(0, 5) }, createOp(3)];
    const refused = await ts.call("POST", "/api/runs/e1/batch", { writer: "writer-0001", ops });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "duplicate", field: "id" });
    expect(await ts.store.getRun("e1")).toBeUndefined();
    // The ledger did not keep seq 1-2 either: the same writer's first two ops now apply.
    const ok = await ts.call("POST", "/api/runs/e1/batch", {
      writer: "writer-0001",
      ops: ops.slice(0, 2),
    });
    expect(ok.body).toEqual({ applied: 2, skipped: 0, lastSeq: 2, nextStep: 5 });
    expect(await ts.store.readHistory("e1")).toHaveLength(5); // the refused rows did not stay
    // A refusal after earlier batches keeps those and drops only its own ops.
    const again = await ts.call("POST", "/api/runs/e1/batch", {
      writer: "writer-0001",
      ops: [
        { seq: 3, type: "history", rows: rows(5, 5) },
        { seq: 4, type: "console", lines: [{ stream: "stdout", timestamp: 1, text: "x" }] },
        { seq: 5, type: "create", run: { project: "p", name: "r", createdAt: T0 } },
      ],
    });
    expect(again.status).toBe(409);
    expect((await ts.store.readHistory("e1")).map((r) => r.step)).toEqual([0, 1, 2, 3, 4]);
    expect(await ts.store.readConsole("e1")).toEqual([]);
    expect((await ts.store.getRun("e1"))?.nextStep).toBe(5);
  });

  it("rejects bad input with a 4xx naming the field and writes nothing", async () => {
    ts = await startServerOn(backend);
    const cases: [unknown, string][] = [
      [{ writer: "w", ops: [] }, "writer"],
      [{ writer: "writer-0001", ops: [{ seq: 0, type: "patch", patch: {} }] }, "ops[0].seq"],
      [{ writer: "writer-0001", ops: [{ seq: 1, type: "drop" }] }, "ops[0].type"],
      [{ writer: "writer-0001", ops: [createOp(1, { project: 3 })] }, "ops[0].run.project"],
      [
        {
          writer: "writer-0001",
          ops: [createOp(1), { seq: 2, type: "history", rows: [{ step: -1 }] }],
        },
        "ops[1].rows[0].step",
      ],
      [
        {
          writer: "writer-0001",
          ops: [
            createOp(1),
            { seq: 2, type: "history", rows: [{ ...rows(0, 1)[0], values: { "": 1 } }] },
          ],
        },
        "ops[1].rows[0].values",
      ],
      [
        {
          writer: "writer-0001",
          ops: [createOp(1), { seq: 2, type: "patch", patch: { state: "zombie" } }],
        },
        "ops[1].patch.state",
      ],
      [
        {
          writer: "writer-0001",
          ops: [createOp(1), { seq: 2, type: "patch", patch: { id: "x" } }],
        },
        "ops[1].patch.id",
      ],
      [{ writer: "writer-0001", ops: [createOp(2), createOp(1)] }, "ops[1].seq"],
      [
        {
          writer: "writer-0001",
          ops: [
            createOp(1),
            {
              seq: 2,
              type: "history_cols",
              cols: {
                steps: [0, 1],
                runtimes: [0, 1],
                timestamps: [1, 2],
                columns: { loss: { rows: [1, 0], values: [1, 2] } },
                others: [],
              },
            },
          ],
        },
        "ops[1].cols.columns.loss.rows[1]",
      ],
      [
        {
          writer: "writer-0001",
          ops: [
            createOp(1),
            {
              seq: 2,
              type: "history_cols",
              cols: { steps: [0], runtimes: [0, 1], timestamps: [1], columns: {}, others: [] },
            },
          ],
        },
        "ops[1].cols.runtimes",
      ],
    ];
    for (const [body, field] of cases) {
      const r = await ts.call("POST", "/api/runs/c1/batch", body);
      expect(r.status, field).toBe(400);
      expect(r.body.error.field, JSON.stringify(r.body)).toBe(field);
    }
    // valid shape, but the store refuses the third op: the whole batch rolls back
    const dup = await ts.call("POST", "/api/runs/c1/batch", {
      writer: "writer-0001",
      ops: [createOp(1), { seq: 2, type: "history", rows: rows(0, 5) }, createOp(3)],
    });
    expect(dup.status).toBe(409);
    expect(await ts.store.getRun("c1")).toBeUndefined();
    expect((await ts.call("POST", "/api/runs/c1/history", { rows: rows(0, 1) })).status).toBe(404);
    expect((await ts.call("POST", "/api/runs/c1/batch", "[1,")).body.error.code).toBe("bad_json");
    const tooBig = await ts.call("POST", "/api/runs/c1/history", "x".repeat(33 * 1024 * 1024));
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe("too_large");
    const huge = await ts.call("POST", "/api/runs/c1/history", { rows: rows(0, 10_001) });
    expect(huge.body.error.field).toBe("rows");
    expect((await ts.call("GET", "/api/runs")).body.total).toBe(0);
  });

  it("has single-op endpoints: create, history, system, console, patch", async () => {
    ts = await startServerOn(backend);
    const created = await ts.call("POST", "/api/runs", {
      id: "d1",
      project: "p",
      name: "d",
      createdAt: T0,
    });
    expect(created.status).toBe(201);
    expect(created.body.state).toBe("running");
    expect(
      (await ts.call("POST", "/api/runs", { id: "d1", project: "p", name: "d", createdAt: T0 }))
        .status,
    ).toBe(409);
    expect(
      (
        await ts.call("POST", "/api/runs", {
          id: "d1",
          project: "p",
          name: "d",
          createdAt: T0,
          resume: true,
        })
      ).status,
    ).toBe(200);
    const h = { writer: "writer-0001", seq: 1, rows: rows(0, 3) };
    expect((await ts.call("POST", "/api/runs/d1/history", h)).body.applied).toBe(1);
    expect((await ts.call("POST", "/api/runs/d1/history", h)).body.skipped).toBe(1);
    expect(
      (await ts.call("POST", "/api/runs/d1/history", { seq: 1, rows: [] })).body.error.field,
    ).toBe("writer");
    await ts.call("POST", "/api/runs/d1/system", {
      samples: [{ timestamp: 5, values: { "system/cpu": 1 } }],
    });
    await ts.call("POST", "/api/runs/d1/console", {
      lines: [{ stream: "stdout", timestamp: 5, text: "hi" }],
    });
    const patched = await ts.call("PATCH", "/api/runs/d1", {
      state: "finished",
      exitCode: 0,
      summary: { loss: 2 },
    });
    expect(patched.body).toMatchObject({
      state: "finished",
      exitCode: 0,
      summary: { loss: 2 },
      nextStep: 3,
    });
    expect((await ts.store.readConsole("d1"))[0].text).toBe("hi");
  });
});
