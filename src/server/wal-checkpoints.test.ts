import { afterEach, describe, expect, it } from "vitest";
import { runningCheckpointers } from "../store/sqlite/checkpointer.js";
import {
  MEMORY_BACKEND,
  startServerOn,
  startTestServer,
  type TestServer,
} from "./server.test-helpers.js";

let ts: TestServer<never> | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

describe("a SQLite server's WAL checkpoints", () => {
  it("run in a thread while the server is open, with SQLite's own only as a safety net", async () => {
    const before = runningCheckpointers();
    const server = await startTestServer();
    ts = server as never;
    expect(runningCheckpointers()).toBe(before + 1);
    expect(server.store.db.pragma("wal_autocheckpoint", { simple: true })).toBe(10_000);
    const created = await server.call("POST", "/api/runs/c1/batch", {
      writer: "writer-0001",
      ops: [{ seq: 1, type: "create", run: { project: "p", name: "c", createdAt: 1 } }],
    });
    expect(created.body).toMatchObject({ applied: 1 });
    await server.server.close();
    expect(runningCheckpointers()).toBe(before);
  });

  it("are not started for a store without a file", async () => {
    const before = runningCheckpointers();
    ts = (await startServerOn(MEMORY_BACKEND)) as never;
    expect(runningCheckpointers()).toBe(before);
  });
});
