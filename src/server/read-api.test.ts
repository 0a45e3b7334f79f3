import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../store/types.js";
import {
  NO_POSTGRES,
  POSTGRES_BACKEND,
  rows,
  SQLITE_BACKEND,
  startServerOn,
  startTestServer,
  T0,
  type TestServer,
  tempDir,
} from "./server.test-helpers.js";

let ts: TestServer<Store> | undefined;
/** The stores a server reads in production (the memory store has no `systemKeys`). */
const READ_BACKENDS = [SQLITE_BACKEND, ...(NO_POSTGRES ? [] : [POSTGRES_BACKEND])];
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

describe.each(READ_BACKENDS)("server read API ($name)", (backend) => {
  it("answers unknown API routes and methods with a JSON 404 naming the path", async () => {
    ts = await startServerOn<Store>(backend);
    for (const [method, path] of [
      ["PUT", "/api/runs/x"],
      ["DELETE", "/api/runs/x"],
      ["POST", "/api/nope"],
      ["GET", "/api/nope"],
    ] as const) {
      const res = await ts.call(method, path, method === "GET" ? undefined : {});
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error).toMatchObject({ code: "not_found", field: "path" });
    }
    const bad = await ts.call("POST", "/api/series", "{not json");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "bad_json", field: "body" });
  });

  it("lists projects and runs with filter, sort and paging", async () => {
    ts = await startServerOn<Store>(backend);
    for (let i = 0; i < 6; i++) {
      await ts.store.createRun({
        id: `r${i}`,
        project: i < 5 ? "sweep" : "other",
        name: `run-${i}`,
        group: i % 2 ? "odd" : "even",
        tags: i < 2 ? ["small"] : ["big"],
        config: { lr: i / 10, opt: i % 2 ? "sgd" : "adam" },
        createdAt: T0 + i,
      });
      await ts.store.updateRun(`r${i}`, {
        summary: { loss: 10 - i, weird: Number.NaN },
        state: i === 4 ? "running" : "finished",
      });
    }
    const projects = (await ts.call("GET", "/api/projects")).body;
    expect(projects.map((p: { name: string }) => p.name).sort()).toEqual(["other", "sweep"]);
    const sweep = projects.find((p: { name: string }) => p.name === "sweep");
    expect(sweep).toMatchObject({ runs: 5 });
    expect(sweep.lastActivity).toBeGreaterThanOrEqual(T0);

    const all = (await ts.call("GET", "/api/runs?project=sweep")).body;
    expect(all.total).toBe(5);
    expect(all.runs[0].summary.weird).toBeNaN();
    expect(all.runs[0].updatedAt).toBeGreaterThanOrEqual(all.runs[0].createdAt);

    const filter = encodeURIComponent(
      JSON.stringify([
        { field: "config.lr", op: "gt", value: 0.05 },
        { field: "config.opt", op: "in", value: ["adam"] },
      ]),
    );
    const f = (await ts.call("GET", `/api/runs?project=sweep&filter=${filter}&sort=-summary.loss`))
      .body;
    expect(f.runs.map((r: { id: string }) => r.id)).toEqual(["r2", "r4"]);
    const page = (
      await ts.call("GET", "/api/runs?project=sweep&sort=summary.loss&limit=2&offset=1")
    ).body;
    expect(page.total).toBe(5);
    expect(page.runs.map((r: { id: string }) => r.id)).toEqual(["r3", "r2"]);
    expect((await ts.call("GET", "/api/runs?state=running")).body.total).toBe(1);
    expect((await ts.call("GET", "/api/runs?tag=small&group=odd")).body.total).toBe(1);
    expect((await ts.call("GET", "/api/runs?q=RUN-3")).body.runs[0].id).toBe("r3");

    const bad = await ts.call(
      "GET",
      `/api/runs?filter=${encodeURIComponent('[{"field":"config.lr","op":"like","value":1}]')}`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("filter[0].op");
    expect((await ts.call("GET", "/api/runs?state=sleeping")).body.error.field).toBe("state");
    expect((await ts.call("GET", "/api/runs?limit=-1")).status).toBe(400);
    expect((await ts.call("GET", "/api/runs?sort=bogus")).status).toBe(400);
    expect((await ts.call("GET", "/api/runs/nope")).status).toBe(404);
    expect((await ts.call("GET", "/api/runs/r1")).body.config).toEqual({ lr: 0.1, opt: "sgd" });
  });

  it("downsamples series keeping spikes, reads keys, points, system and console", async () => {
    ts = await startServerOn<Store>(backend);
    await ts.store.createRun({ id: "s1", project: "p", name: "s1", createdAt: T0 });
    // 1000 steps of loss = 1, one spike of 100 at step 537.
    await ts.store.appendHistory(
      "s1",
      rows(0, 1000, (s) => (s === 537 ? 100 : 1)),
    );
    await ts.store.appendSystem("s1", [
      { timestamp: T0 / 1000 + 1, values: { "system/cpu": 10 } },
      { timestamp: T0 / 1000 + 2, values: { "system/cpu": 30, "system/gpu.0.temp": 60 } },
    ]);
    await ts.store.appendConsole("s1", [
      { stream: "stdout", timestamp: T0 / 1000, text: "hello" },
      { stream: "stderr", timestamp: T0 / 1000, text: "oops" },
    ]);
    const res = await ts.call("POST", "/api/series", {
      runs: ["s1"],
      keys: ["loss"],
      x: "step",
      buckets: 10,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const s = res.body.series[0];
    expect(s).toMatchObject({ run: "s1", key: "loss" });
    expect(s.x).toHaveLength(10);
    expect(Math.max(...s.max)).toBe(100);
    expect(s.count.reduce((a: number, b: number) => a + b, 0)).toBe(1000);
    expect(s.last[9]).toBe(1);

    const rel = (
      await ts.call("POST", "/api/series", {
        runs: ["s1"],
        keys: ["loss"],
        x: "relative",
        buckets: 5,
      })
    ).body.series[0];
    expect(rel.x[0]).toBe(0); // first point is at createdAt
    const ranged = (
      await ts.call("POST", "/api/series", {
        runs: ["s1"],
        keys: ["loss"],
        x: "relative",
        buckets: 2,
        xMin: 0,
        xMax: 99_000,
      })
    ).body.series[0];
    expect(ranged.count.reduce((a: number, b: number) => a + b, 0)).toBe(100);
    // `fields` trims the columns sent (a chart of many runs draws only `last`).
    const slim = (
      await ts.call("POST", "/api/series", {
        runs: ["s1"],
        keys: ["loss"],
        buckets: 10,
        fields: ["last"],
      })
    ).body.series[0];
    expect(Object.keys(slim)).toEqual(["run", "key", "x", "last"]);
    expect(slim.last).toEqual(s.last);
    // `runsQuery` names the runs as GET /api/runs would (its first `limit`), in that order.
    await ts.store.createRun({ id: "s0", project: "p", name: "s0", createdAt: T0 - 1 });
    await ts.store.createRun({ id: "s2", project: "q", name: "s2", createdAt: T0 + 1 });
    const byQuery = (
      await ts.call("POST", "/api/series", {
        runsQuery: "project=p&sort=createdAt&limit=2",
        keys: ["loss"],
        buckets: 10,
      })
    ).body.series;
    expect(byQuery.map((x: { run: string }) => x.run)).toEqual(["s0", "s1"]);
    expect(byQuery[0].x).toEqual([]);
    expect(byQuery[1]).toEqual(s);

    const keys = (await ts.call("GET", "/api/runs/s1/keys")).body;
    expect(keys).toContainEqual({ key: "loss", count: 1000, firstStep: 0, lastStep: 999 });
    const pts = (await ts.call("GET", "/api/runs/s1/history?key=loss&minStep=536&limit=2")).body;
    expect(pts.step).toEqual([536, 537]);
    expect(pts.value).toEqual([1, 100]);
    const sys = (await ts.call("GET", "/api/runs/s1/system?buckets=1")).body.series;
    expect(sys.map((x: { key: string }) => x.key)).toEqual(["system/cpu", "system/gpu.0.temp"]);
    expect(sys[0]).toMatchObject({ key: "system/cpu", min: [10], max: [30], last: [30] });
    const con = (await ts.call("GET", "/api/runs/s1/console?offset=1")).body;
    expect(con.lines).toEqual([{ stream: "stderr", time: T0, text: "oops" }]);

    for (const [body, field] of [
      [{ runs: "s1", keys: ["loss"] }, "runs"],
      [{ runs: ["s1"], keys: ["loss"], buckets: 0 }, "buckets"],
      [{ runs: ["s1"], keys: ["loss"], x: "epoch" }, "x"],
      [{ runs: ["s1"], keys: ["x"], source: "system", x: "step" }, "x"],
      [{ runs: ["../etc"], keys: ["x"] }, "runs[0]"],
      [{ runs: ["s1"], keys: ["loss"], fields: ["mean"] }, "fields[0]"],
      [{ runs: ["s1"], keys: ["loss"], fields: "last" }, "fields"],
      [{ runsQuery: "project=p&limit=1001", keys: ["loss"] }, "runsQuery.limit"],
      [{ runsQuery: "state=asleep", keys: ["loss"] }, "runsQuery.state"],
      [{ runsQuery: "filter=[1]", keys: ["loss"] }, "runsQuery.filter[0]"],
      [{ runsQuery: "limit=1", runs: ["s1"], keys: ["loss"] }, "runsQuery"],
      [{ runsQuery: { project: "p" }, keys: ["loss"] }, "runsQuery"],
    ] as const) {
      const r = await ts.call("POST", "/api/series", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.field).toBe(field);
    }
    expect((await ts.call("POST", "/api/series", "{nope")).body.error.code).toBe("bad_json");
  });

  it("sends NaN/±Infinity as sparse per-bucket counts, the finite columns as without them", async () => {
    ts = await startServerOn<Store>(backend);
    const odd = (s: number) =>
      s === 3 || s === 4
        ? Number.NaN
        : s === 5
          ? Number.POSITIVE_INFINITY
          : s >= 18
            ? -Infinity
            : s;
    await ts.store.createRun({ id: "n1", project: "p", name: "n1", createdAt: T0 });
    await ts.store.appendHistory("n1", rows(0, 20, odd));
    const ask = async (body: object) =>
      (await ts!.call("POST", "/api/series", { runs: ["n1"], keys: ["loss"], buckets: 4, ...body }))
        .body.series[0];
    // Steps 0..19 in buckets of 4.75: [0-4] NaN ×2, [5-9] +Inf, [10-14], [15-19] -Inf ×2.
    const all = await ask({});
    expect(all.x).toEqual([0, 4.75, 9.5, 14.25]);
    expect(all.count).toEqual([3, 4, 5, 3]);
    expect(all.last).toEqual([2, 9, 14, 17]);
    expect(all.nonFinite).toEqual({
      x: [0, 4.75, 14.25],
      nan: [2, 0, 0],
      posInf: [0, 1, 0],
      negInf: [0, 0, 2],
    });
    // A zoom onto the -Infinity tail: a bucket of only non-finite values is in `nonFinite`
    // alone (the columns describe finite values), so the body needs no NaN tagging.
    const tail = await ask({ xMin: 16, xMax: 19, buckets: 2, fields: ["last", "nonFinite"] });
    expect(tail).toEqual({
      run: "n1",
      key: "loss",
      x: [16],
      last: [17],
      nonFinite: { x: [17.5], nan: [0], posInf: [0], negInf: [2] },
    });
    // Not asked for, not sent; a series without non-finite values has none.
    expect(Object.keys(await ask({ fields: ["last"] }))).toEqual(["run", "key", "x", "last"]);
    expect((await ask({ keys: ["acc"] })).nonFinite).toBeUndefined();
  });
});

describe("server static files", () => {
  it("serves the dashboard with an index.html fallback, or a page saying to build it", async () => {
    const web = tempDir("amltk-web-");
    mkdirSync(join(web, "assets"));
    writeFileSync(join(web, "index.html"), "<!doctype html><title>dash</title>");
    writeFileSync(join(web, "assets", "app.js"), "console.log(1)");
    ts = await startTestServer({ webDir: web });
    expect((await ts.call("GET", "/")).body).toContain("<title>dash</title>");
    expect((await ts.call("GET", "/runs/abc")).body).toContain("<title>dash</title>");
    // index.html is revalidated: the same build answers 304 without a body
    const first = await fetch(`${ts.server.url}/`);
    const etag = first.headers.get("etag");
    expect(etag).toBeTruthy();
    const again = await fetch(`${ts.server.url}/`, { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    const other = await fetch(`${ts.server.url}/`, { headers: { "if-none-match": 'W/"x"' } });
    expect(other.status).toBe(200);
    const js = await fetch(`${ts.server.url}/assets/app.js`);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect((await fetch(`${ts.server.url}/assets/missing.js`)).status).toBe(404);
    // dot segments never leave the web dir (URL parsing folds them; a raw one is refused)
    expect(await (await fetch(`${ts.server.url}/%2e%2e/%2e%2e/etc/passwd`)).text()).toContain(
      "dash",
    );
    const raw = await (await fetch(`${ts.server.url}/assets/..%2f..%2f..%2fpackage.json`)).text();
    expect(raw).not.toContain('"name"');
    expect((await ts.call("GET", "/api/nothing")).status).toBe(404);
    await ts.stop();
    ts = await startTestServer({ webDir: join(web, "absent") });
    expect((await ts.call("GET", "/")).body).toContain("not built");
  });
});
