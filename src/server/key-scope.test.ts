/**
 * What a key may do (issue 10): read-only keys, project-limited keys, revocation effective on
 * the very next request, the Bearer scheme in any case, `?key=` only on the live stream, and
 * writes to another writer's closed run refused unless meant. Real server, real SQLite file.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import type { Store } from "../store/types.js";
import { ApiKeys, KeyOptionError } from "./auth.js";
import {
  createOp,
  rows,
  STORE_BACKENDS,
  startServerOn,
  startTestServer,
  type TestServer,
} from "./server.test-helpers.js";
import { ALLOW_CLOSED_HEADER } from "./write-routes.js";

let ts: TestServer<Store> | undefined;
const extra: SqliteStore[] = [];
afterEach(async () => {
  for (const s of extra.splice(0)) await s.close();
  await ts?.stop();
  ts = undefined;
});

/** A second connection to the server's store, as `amltk keys` in another process opens it. */
function cliKeys(): ApiKeys {
  const s = SqliteStore.openSync(ts!.dir);
  extra.push(s);
  return new ApiKeys(s.db);
}

const batch = (writer: string, ops: unknown[]) => ({ writer, ops });

describe("key scopes", () => {
  it("a read-scoped key reads but cannot write", async () => {
    ts = await startTestServer({ auth: { reads: true } });
    const { key } = cliKeys().create("viewer", { scope: "read" });
    await ts.call("POST", "/api/runs/r1/batch", batch("writer-0001", [createOp(1)]));
    expect((await ts.call("GET", "/api/runs", undefined, key)).body.total).toBe(1);
    for (const [method, path, body] of [
      ["PATCH", "/api/runs/r1", { name: "renamed" }],
      ["POST", "/api/runs/r1/batch", batch("writer-0002", [createOp(1, { project: "q" })])],
      ["POST", "/api/runs/r1/history", { rows: rows(0, 1) }],
    ] as const) {
      const res = await ts.call(method, path, body, key);
      expect(res.status, path).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
    }
    expect((await ts.store.getRun("r1"))!.name).toBe("r");
    expect(await ts.store.readHistory("r1")).toEqual([]);
  });

  it("a project-limited key touches only its projects", async () => {
    ts = await startTestServer({ auth: { reads: true } });
    const { key } = cliKeys().create("team-a", { projects: ["a"] });
    const mine = batch("writer-000a", [createOp(1, { project: "a" })]);
    expect((await ts.call("POST", "/api/runs/ra/batch", mine, key)).status).toBe(200);
    // another project: creating, writing to, renaming and reading its runs are refused
    const theirs = batch("writer-000b", [createOp(1, { project: "b" })]);
    expect((await ts.call("POST", "/api/runs/rb/batch", theirs, key)).status).toBe(403);
    expect(await ts.store.getRun("rb")).toBeUndefined();
    await ts.call("POST", "/api/runs/rb/batch", theirs); // the admin key made it
    const refused: [string, string, unknown?][] = [
      ["PATCH", "/api/runs/rb", { name: "mine now" }],
      [
        "POST",
        "/api/runs/rb/batch",
        batch("writer-000c", [{ seq: 1, type: "history", rows: rows(0, 2) }]),
      ],
      ["POST", "/api/runs", { ...createOp(1, { project: "b" }).run, id: "rb2" }],
      ["GET", "/api/runs?project=b"],
      ["GET", "/api/runs"],
      ["GET", "/api/runs/rb"],
      ["GET", "/api/runs/rb/keys"],
      ["POST", "/api/series", { runs: ["ra", "rb"], keys: ["loss"] }],
      ["POST", "/api/series", { runsQuery: "project=b", keys: ["loss"] }],
      ["GET", "/api/stream?project=b"],
      ["GET", "/api/stream"],
    ];
    for (const [method, path, body] of refused) {
      const res = await ts.call(method, path, body, key);
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect((await ts.store.getRun("rb"))!.name).toBe("r");
    expect(await ts.store.readHistory("rb")).toEqual([]);
    const projects = await ts.call("GET", "/api/projects", undefined, key);
    expect(projects.body.map((p: { name: string }) => p.name)).toEqual(["a"]);
    expect((await ts.call("GET", "/api/runs?project=a", undefined, key)).body.total).toBe(1);
  });

  it("refuses bad scopes and project lists with a typed error naming the value", async () => {
    ts = await startTestServer();
    const keys = cliKeys();
    expect(() => keys.create("x", { scope: "admin" as "read" })).toThrow(KeyOptionError);
    expect(() => keys.create("x", { scope: "admin" as "read" })).toThrow(/"admin"/);
    expect(() => keys.create("x", { projects: [] })).toThrow(KeyOptionError);
    expect(() => keys.create("x", { projects: [""] })).toThrow(/""/);
  });
});

describe("presenting a key", () => {
  it("stops taking a revoked key on the very next request", async () => {
    ts = await startTestServer();
    const w = batch("writer-0001", [createOp(1)]);
    expect((await ts.call("POST", "/api/runs/v1/batch", w)).status).toBe(200);
    expect(cliKeys().revoke(ts.key.split("_")[1]!)).toBe(true);
    const next = await ts.call("PATCH", "/api/runs/v1", { notes: "after revoke" });
    expect(next.status).toBe(401);
    expect((await ts.store.getRun("v1"))!.notes).toBeNull();
  });

  it("takes the Bearer scheme in any case, and ?key= only on the live stream", async () => {
    ts = await startTestServer({ auth: { reads: true } });
    const url = ts.server.url;
    const json = { "content-type": "application/json" };
    const body = JSON.stringify(batch("writer-0001", [createOp(1)]));
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const res = await fetch(`${url}/api/runs`, {
        headers: { authorization: `${scheme} ${ts.key}` },
      });
      expect(res.status, scheme).toBe(200);
    }
    const inQuery = await fetch(`${url}/api/runs?key=${ts.key}`);
    expect(inQuery.status).toBe(401);
    expect(((await inQuery.json()) as { error: { message: string } }).error.message).toMatch(
      /only by \/api\/stream/,
    );
    const write = await fetch(`${url}/api/runs/q1/batch?key=${ts.key}`, {
      method: "POST",
      headers: json,
      body,
    });
    expect(write.status).toBe(401);
    expect(await ts.store.getRun("q1")).toBeUndefined();
    const ctl = new AbortController();
    const stream = await fetch(`${url}/api/stream?project=p&key=${ts.key}`, { signal: ctl.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    ctl.abort();
    await stream.body?.cancel().catch(() => {});
  });
});

describe.each(STORE_BACKENDS)("closed runs on $name", (backend) => {
  it("refuses another writer's write to a finished run unless the request means it", async () => {
    ts = await startServerOn(backend);
    const finish = {
      seq: 2,
      type: "patch",
      patch: { state: "finished", exitCode: 0, finishedAt: 1 },
    };
    const own = await ts.call(
      "POST",
      "/api/runs/f1/batch",
      batch("writer-0001", [createOp(1), finish]),
    );
    expect(own.status).toBe(200);
    // the writer that finished it may still deliver its late data (or retry)
    const late = { seq: 3, type: "history", rows: rows(0, 1) };
    expect((await ts.call("POST", "/api/runs/f1/batch", batch("writer-0001", [late]))).status).toBe(
      200,
    );
    // anyone else: 409, nothing written
    const other = batch("writer-0002", [{ seq: 1, type: "patch", patch: { name: "overwritten" } }]);
    const refused = await ts.call("POST", "/api/runs/f1/batch", other);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "finished", field: "id" });
    expect((await ts.call("PATCH", "/api/runs/f1", { name: "overwritten" })).status).toBe(409);
    expect((await ts.store.getRun("f1"))!.name).toBe("r");
    // meant: the header, or a resume
    const res = await fetch(`${ts.server.url}/api/runs/f1`, {
      method: "PATCH",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${ts.key}`,
        [ALLOW_CLOSED_HEADER]: "true",
      },
      body: JSON.stringify({ name: "renamed on purpose" }),
    });
    expect(res.status).toBe(200);
    expect((await ts.store.getRun("f1"))!.name).toBe("renamed on purpose");
    const resume = { ...createOp(1), resume: true };
    expect(
      (await ts.call("POST", "/api/runs/f1/batch", batch("writer-0003", [resume]))).status,
    ).toBe(200);
    expect((await ts.store.getRun("f1"))!.state).toBe("running");
  });
});
