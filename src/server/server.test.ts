import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import { ApiKeys } from "./auth.js";
import { decodeJson } from "./protocol.js";
import { startTestServer, type TestServer, tempDir } from "./server.test-helpers.js";

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

const T0 = 1_764_000_000_000;

function createOp(seq: number, over: Record<string, unknown> = {}) {
  return {
    seq,
    type: "create",
    run: { project: "p", name: "r", createdAt: T0, config: { lr: 0.1 }, tags: ["a"], ...over },
  };
}

function rows(from: number, n: number, f: (s: number) => number = (s) => s) {
  return Array.from({ length: n }, (_, i) => ({
    step: from + i,
    runtime: from + i,
    timestamp: T0 / 1000 + from + i,
    values: { loss: f(from + i), acc: 1 },
  }));
}

describe("server read API", () => {
  it("lists projects and runs with filter, sort and paging", async () => {
    ts = await startTestServer();
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
    ts = await startTestServer();
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
    expect(res.status).toBe(200);
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
    ] as const) {
      const r = await ts.call("POST", "/api/series", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.field).toBe(field);
    }
    expect((await ts.call("POST", "/api/series", "{nope")).body.error.code).toBe("bad_json");
  });
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
    // revoked from "another process" (a second connection), effective after the cache window
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

describe("server writes", () => {
  it("applies a batch exactly once per (writer, seq)", async () => {
    ts = await startTestServer();
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

  it("rejects bad input with a 4xx naming the field and writes nothing", async () => {
    ts = await startTestServer();
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
    ts = await startTestServer();
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

describe("server live stream", () => {
  it("streams run changes and new points written by another connection", async () => {
    ts = await startTestServer();
    const ctl = new AbortController();
    const res = await fetch(`${ts.server.url}/api/stream?project=live`, { signal: ctl.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    const events: { event: string; data: any }[] = [];
    let buf = "";
    const waitFor = async (pred: () => boolean) => {
      while (!pred()) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buf += new TextDecoder().decode(value);
        let i = buf.indexOf("\n\n");
        while (i >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
          const data = block
            .split("\n")
            .filter((l) => l.startsWith("data: "))
            .map((l) => l.slice(6))
            .join("\n");
          events.push({ event, data: decodeJson(data) });
          i = buf.indexOf("\n\n");
        }
      }
    };
    await waitFor(() => events.some((e) => e.event === "ping"));
    // an "offline writer": a second connection to the same file, like another process
    const writer = SqliteStore.openSync(ts.dir);
    writer.createRunSync({ id: "l1", project: "live", name: "l", createdAt: Date.now() });
    writer.createRunSync({ id: "x1", project: "elsewhere", name: "x", createdAt: Date.now() });
    writer.appendHistorySync("l1", rows(0, 3));
    await waitFor(
      () => events.filter((e) => e.event === "history").flatMap((e) => e.data).length >= 6,
    );
    const pts = events.filter((e) => e.event === "history").flatMap((e) => e.data);
    expect(
      pts.filter((p: { key: string }) => p.key === "loss").map((p: { step: number }) => p.step),
    ).toEqual([0, 1, 2]);
    expect(events.some((e) => e.event === "run" && e.data.run.id === "x1")).toBe(false);
    // more rows in one tick than are streamed: the last ones come, and a hint to refetch
    writer.appendHistorySync("l1", rows(3, 500));
    await waitFor(() => events.some((e) => e.event === "run" && e.data.historyTruncated === true));
    await waitFor(() =>
      events.some(
        (e) => e.event === "history" && e.data.some((p: { step: number }) => p.step === 502),
      ),
    );
    const late = events.filter((e) => e.event === "history").flatMap((e) => e.data);
    expect(late.some((p: { step: number }) => p.step === 3)).toBe(false);
    writer.updateRunSync("l1", { state: "finished", exitCode: 0 });
    await waitFor(() => events.some((e) => e.event === "run" && e.data.run.state === "finished"));
    writer.closeSync();
    ctl.abort();
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
