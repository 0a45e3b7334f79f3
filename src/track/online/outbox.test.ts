import { rmSync } from "node:fs";
import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import type { HistoryColumns } from "../../protocol/batch.js";
import { startTestServer, tempDir } from "../../server/server.test-helpers.js";
import { Outbox } from "./outbox.js";
import { sliceColumns } from "./slice-columns.js";
import { Spool } from "./spool.js";

describe("sliceColumns", () => {
  it("cuts rows [from, to) of dense and sparse columns and rebases row indices", () => {
    const cols: HistoryColumns = {
      steps: [10, 11, 12, 13, 14],
      runtimes: [0, 1, 2, 3, 4],
      timestamps: [5, 6, 7, 8, 9],
      columns: {
        dense: { values: [0, 1, 2, 3, 4] },
        sparse: { rows: [0, 3, 4], values: [7, 8, 9] },
      },
      others: [
        { row: 1, key: "s", value: "a" },
        { row: 3, key: "s", value: "b" },
      ],
    };
    expect(sliceColumns(cols, 2, 4)).toEqual({
      steps: [12, 13],
      runtimes: [2, 3],
      timestamps: [7, 8],
      columns: { dense: { values: [2, 3] }, sparse: { rows: [1], values: [8] } },
      others: [{ row: 1, key: "s", value: "b" }],
    });
    expect(sliceColumns(cols, 1, 3).columns.sparse).toBeUndefined();
  });
});

describe("Outbox send interval", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it("holds the ops of the segment being filled for one request; close sends them at once", async () => {
    const ts = await startTestServer();
    cleanup.push(() => ts.stop());
    const dir = tempDir("amltk-outbox-");
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const meta = { runId: "iv", writer: "writer-iv01", baseUrl: ts.server.url, pid: process.pid };
    // Ops acknowledged after each request: one entry per request.
    const acked: number[] = [];
    let firstAck: () => void = () => {};
    const firstAcked = new Promise<void>((r) => (firstAck = r));
    const outbox: Outbox = new Outbox(new Spool(dir, { ...meta, host: hostname(), createdAt: 1 }), {
      baseUrl: ts.server.url,
      apiKey: ts.key,
      sendIntervalMs: 60_000,
      onProgress: () => {
        acked.push(outbox.delivered.ops);
        firstAck();
      },
    });
    outbox.push({
      type: "create",
      run: { project: "p", name: "iv", createdAt: 1_764_000_000_000 },
    });
    await firstAcked; // the first request goes at once
    for (let i = 0; i < 4; i++) {
      outbox.push({
        type: "history",
        rows: [{ step: i, runtime: 0, timestamp: 1, values: { x: i } }],
      });
      // A round trip to the server: time enough to send the op had it not been held.
      await ts.call("GET", "/api/projects");
    }
    expect(acked).toEqual([1]);
    expect(outbox.left()).toMatchObject({ ops: 4, points: 4 });
    await outbox.close(10_000);
    expect(acked).toEqual([1, 5]);
    expect(outbox.idle).toBe(true);
    expect((await ts.store.readPoints({ runId: "iv", key: "x" })).map((p) => p.value)).toEqual([
      0, 1, 2, 3,
    ]);
  });
});
