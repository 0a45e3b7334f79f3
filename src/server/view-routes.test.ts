/**
 * Saved views (issue 15): GET/PUT/DELETE /api/projects/:project/views/:name on every store,
 * kept across a server restart on the same database, writes needing a write key, a key
 * limited to projects kept to them, bad names and bodies refused naming the field.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../store/types.js";
import { ApiKeys } from "./auth.js";
import {
  STORE_BACKENDS,
  startServerOn,
  startTestServer,
  type TestServer,
} from "./server.test-helpers.js";
import { MAX_VIEW_STATE } from "./view-routes.js";

let ts: TestServer<Store> | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

const VIEWS = "/api/projects/demo/views";

describe.each(STORE_BACKENDS)("saved views ($name)", (backend) => {
  it("saves, lists, replaces, reads and deletes a view by name", async () => {
    ts = await startServerOn<Store>(backend);
    expect((await ts.call("GET", VIEWS)).body).toEqual({ views: [] });
    const put = await ts.call("PUT", `${VIEWS}/best%20lr`, {
      state: "f=lr%20%3C%200.01&by=config.opt",
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      project: "demo",
      name: "best lr",
      state: "f=lr%20%3C%200.01&by=config.opt",
    });
    await ts.call("PUT", `${VIEWS}/a`, { state: "cols=config.lr" });
    await ts.call("PUT", `${VIEWS}/best%20lr`, { state: "by=config.opt" });
    const list = (await ts.call("GET", VIEWS)).body.views as { name: string; state: string }[];
    expect(list.map((v) => [v.name, v.state])).toEqual([
      ["a", "cols=config.lr"],
      ["best lr", "by=config.opt"],
    ]);
    // Another project's views are apart.
    expect((await ts.call("GET", "/api/projects/other/views")).body).toEqual({ views: [] });
    expect((await ts.call("GET", `${VIEWS}/a`)).body.state).toBe("cols=config.lr");
    expect((await ts.call("DELETE", `${VIEWS}/a`)).status).toBe(200);
    const gone = await ts.call("GET", `${VIEWS}/a`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: "not_found", field: "name" });
    expect((await ts.call("DELETE", `${VIEWS}/a`)).status).toBe(404);
  });

  it("refuses bad bodies and names, naming the field", async () => {
    ts = await startServerOn<Store>(backend);
    const cases: [string, unknown, string][] = [
      [`${VIEWS}/x`, { state: 3 }, "body.state"],
      [`${VIEWS}/x`, { state: "a", extra: 1 }, "body.extra"],
      [`${VIEWS}/x`, { state: "x".repeat(MAX_VIEW_STATE + 1) }, "body.state"],
      [`${VIEWS}/a%01b`, { state: "" }, "name"],
      [`${VIEWS}/${"n".repeat(201)}`, { state: "" }, "name"],
    ];
    for (const [path, body, field] of cases) {
      const res = await ts.call("PUT", path, body);
      expect(res.status, path).toBe(400);
      expect(res.body.error.field, path).toBe(field);
    }
    expect((await ts.call("GET", VIEWS)).body).toEqual({ views: [] });
  });
});

describe("saved views: keys and durability", () => {
  it("are writes: no key or a read key is refused; a project-limited key stays in its projects", async () => {
    ts = await startTestServer();
    expect((await ts.call("PUT", `${VIEWS}/v`, { state: "" }, null)).status).toBe(401);
    const keys = new ApiKeys(
      (ts.store as unknown as { db: ConstructorParameters<typeof ApiKeys>[0] }).db,
    );
    const read = keys.create("viewer", { scope: "read" }).key;
    expect((await ts.call("PUT", `${VIEWS}/v`, { state: "" }, read)).status).toBe(403);
    // Reads stay open on a server that does not ask keys for reads.
    expect((await ts.call("GET", VIEWS, undefined, null)).status).toBe(200);
    const other = keys.create("other", { projects: ["other"] }).key;
    const res = await ts.call("PUT", `${VIEWS}/v`, { state: "" }, other);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('"demo"');
    expect(
      (await ts.call("PUT", "/api/projects/other/views/v", { state: "x" }, other)).status,
    ).toBe(200);
  });

  it("outlive the server: a new server on the same SQLite file has them", async () => {
    ts = await startTestServer();
    const dir = ts.dir;
    await ts.call("PUT", `${VIEWS}/kept`, { state: "by=group" });
    await ts.server.close();
    await ts.store.close();
    ts = await startTestServer({ dir });
    try {
      expect((await ts.call("GET", `${VIEWS}/kept`)).body.state).toBe("by=group");
    } finally {
      await ts.stop();
      ts = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
