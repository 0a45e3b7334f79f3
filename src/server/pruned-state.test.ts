/**
 * The `pruned` run state over HTTP: an online run closed with `run.finish({ state: "pruned" })`
 * is stored pruned through the batch API, `GET /api/runs?state=pruned` lists it (alone or with
 * other states), `PATCH` accepts the state, and the project counts it as not running. Real
 * server, real SQLite file, the real online tracker.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { init } from "../track/index.js";
import { createOp, startTestServer, type TestServer } from "./server.test-helpers.js";

let ts: TestServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ids = (body: { runs: { id: string }[] }) => body.runs.map((r) => r.id).sort();

describe("pruned run state over HTTP", () => {
  it("stores an online run finished pruned, and filters and patches on the state", async () => {
    ts = await startTestServer();
    const spool = mkdtempSync(join(tmpdir(), "amltk-pruned-spool-"));
    dirs.push(spool);
    const run = await init({
      project: "p",
      id: "online1",
      mode: "online",
      baseUrl: ts.server.url,
      apiKey: ts.key,
      dir: spool,
      systemInterval: 0,
      reinit: "create_new",
    });
    run.log({ loss: 1 });
    await run.finish({ state: "pruned" });
    const got = (await ts.call("GET", "/api/runs/online1")).body;
    expect(got).toMatchObject({ state: "pruned", exitCode: 0 });

    await ts.call("POST", "/api/runs/r2/batch", { writer: "writer-0001", ops: [createOp(1)] });
    await ts.call("POST", "/api/runs/r3/batch", { writer: "writer-0002", ops: [createOp(1)] });
    const patched = await ts.call("PATCH", "/api/runs/r2", { state: "pruned", exitCode: 0 });
    expect(patched.status).toBe(200);
    expect(ids((await ts.call("GET", "/api/runs?state=pruned")).body)).toEqual(["online1", "r2"]);
    expect(ids((await ts.call("GET", "/api/runs?state=pruned,running")).body)).toEqual([
      "online1",
      "r2",
      "r3",
    ]);
    const bad = await ts.call("PATCH", "/api/runs/r3", { state: "prune" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("pruned");
    const project = (await ts.call("GET", "/api/projects")).body.find(
      (x: { name: string }) => x.name === "p",
    );
    expect(project).toMatchObject({ runs: 3 });
    expect(ids((await ts.call("GET", "/api/runs?state=running")).body)).toEqual(["r3"]);
  });
});
