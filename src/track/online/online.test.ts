import { existsSync, readdirSync, rmSync } from "node:fs";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  NO_POSTGRES,
  SQLITE_BACKEND,
  type StoreBackend,
  startServerOn,
  type TestServer,
  tempDir,
} from "../../server/server.test-helpers.js";
import { runTsx } from "../../store/child-process.test-helpers.js";
import { freshPostgresUrl } from "../../store/postgres/postgres.test-helpers.js";
import { PostgresStore } from "../../store/postgres/postgres-store.js";
import type { Store } from "../../store/types.js";
import { init } from "../init.js";
import { allDelivered, deliverSpools, OnlineStore } from "./index.js";

const here = dirname(fileURLToPath(import.meta.url));
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function server(
  opts: { dir?: string; port?: number } = {},
  backend: StoreBackend = SQLITE_BACKEND,
): Promise<TestServer<Store>> {
  const ts = await startServerOn(backend, opts);
  cleanup.push(() => ts.stop());
  return ts;
}

/** Every step of `key` exactly once: 0..n-1, none missing, none doubled. */
async function expectSteps(store: Store, runId: string, key: string, n: number) {
  const info = (await store.historyKeys(runId)).find((k) => k.key === key);
  expect(info?.count).toBe(n);
  const pts = await store.readPoints({ runId, key });
  expect(pts.map((p) => p.step)).toEqual(Array.from({ length: n }, (_, i) => i));
}

/** Runs the online-writer fixture: `[clientDir, url, key, runId, points, "finish" | "exit"]`. */
function runWriter(args: string[]): Promise<{ code: number | null; out: string }> {
  return runTsx(join(here, "test-fixtures", "online-writer.ts"), args);
}

/** A client run folder, removed after the test. */
function clientFolder(): string {
  const d = tempDir("amltk-client-");
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A server folder and a client folder, both removed after the test. */
function folders(): { dir: string; clientDir: string } {
  const dir = tempDir("amltk-srv-");
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, clientDir: clientFolder() };
}

/**
 * Folders, plus the port, URL and key of a server on `dir` that was started and stopped:
 * nothing answers there until the test starts a server on that port again.
 */
async function downServer(backend: StoreBackend = SQLITE_BACKEND) {
  const { dir, clientDir } = folders();
  const probe = await startServerOn(backend, { dir });
  const { port, url } = probe.server;
  await probe.stop();
  return { dir, clientDir, port, url, key: probe.key };
}

describe("online mode", () => {
  it("sends a run's history, summary and state to the server", async () => {
    const ts = await server();
    const dir = clientFolder();
    const run = await init({
      mode: "online",
      dir,
      baseUrl: ts.server.url,
      apiKey: ts.key,
      project: "onl",
      config: { lr: 0.1 },
      systemInterval: 0,
    });
    for (let i = 0; i < 12_000; i++) {
      run.log({ loss: 1 / (i + 1), acc: i, ...(i === 7 ? { odd: Number.NaN, label: "x" } : {}) });
    }
    run.log({ odd: Number.NEGATIVE_INFINITY }, { step: 12_000 });
    run.summary.best = 42;
    await run.finish();
    await allDelivered();
    const rec = await ts.store.getRun(run.id);
    expect(rec).toMatchObject({
      project: "onl",
      state: "finished",
      exitCode: 0,
      config: { lr: 0.1 },
    });
    expect(rec?.summary.best).toBe(42);
    await expectSteps(ts.store, run.id, "loss", 12_000);
    await expectSteps(ts.store, run.id, "acc", 12_000);
    const odd = await ts.store.readPoints({ runId: run.id, key: "odd" });
    expect(odd.map((p) => [p.step, p.value])).toEqual([
      [7, Number.NaN],
      [12_000, Number.NEGATIVE_INFINITY],
    ]);
    expect((await ts.store.readPoints({ runId: run.id, key: "label" }))[0].value).toBe("x");
    expect(existsSync(join(dir, "spool")) ? readdirSync(join(dir, "spool")) : []).toEqual([]);
  });

  it("lists runs through the server with the same query as the local store", async () => {
    const ts = await server();
    for (let i = 0; i < 6; i++) {
      await ts.store.createRun({
        id: `q${i}`,
        project: "query",
        name: `run-${i}`,
        group: i % 2 ? "odd" : "even",
        tags: i < 3 ? ["small"] : ["big"],
        config: { lr: i / 10, opt: i % 3 === 0 ? "adam" : "sgd" },
        createdAt: 1_764_000_000_000 + i,
      });
    }
    await ts.store.updateRun("q5", { state: "failed", exitCode: 1 });
    const online = new OnlineStore({ dir: clientFolder(), baseUrl: ts.server.url, apiKey: ts.key });
    cleanup.push(() => online.close());
    const queries = [
      {
        project: "query",
        where: [{ path: "config.lr", op: ">=", value: 0.2 }],
        sort: "-config.lr",
      },
      { project: "query", tags: ["big"], state: ["running", "failed"], sort: "name" },
      { project: "query", group: "odd", search: "run-", limit: 1, offset: 1, sort: "name" },
      {
        project: "query",
        where: [{ path: "config.opt", op: "in", value: ["adam"] }],
        sort: "name",
      },
    ] as const;
    for (const q of queries) {
      const local = await ts.store.listRuns(q);
      const remote = await online.listRuns(q);
      expect(remote.total, JSON.stringify(q)).toBe(local.total);
      expect(remote.runs.map((r) => r.id)).toEqual(local.runs.map((r) => r.id));
      expect(local.runs.length).toBeGreaterThan(0);
    }
  });

  it("resumes a run by id, continuing at the server's next step", async () => {
    const ts = await server();
    const dir = clientFolder();
    const o = {
      mode: "online",
      dir,
      baseUrl: ts.server.url,
      apiKey: ts.key,
      systemInterval: 0,
    } as const;
    const first = await init({ ...o, id: "again", project: "res", config: { a: 1 } });
    for (let i = 0; i < 10; i++) first.log({ loss: i });
    await first.finish();
    const second = await init({ ...o, id: "again", resume: "allow", config: { b: 2 } });
    expect(second.step).toBe(10);
    for (let i = 10; i < 15; i++) second.log({ loss: i });
    await second.finish();
    await allDelivered();
    await expectSteps(ts.store, "again", "loss", 15);
    expect(await ts.store.getRun("again")).toMatchObject({
      state: "finished",
      config: { a: 1, b: 2 },
    });
  });

  it("finish against a server that never answers returns within its bound and lets go", async () => {
    // A server that accepts connections and never answers (like one stopped with SIGSTOP).
    const sockets: Socket[] = [];
    const closed: Promise<void>[] = [];
    const hang = createNetServer((sock) => {
      sockets.push(sock);
      sock.resume(); // read (and drop) requests, so that a client's close is seen
      closed.push(new Promise((r) => sock.on("close", () => r())));
    });
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
    cleanup.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => hang.close(() => r()));
    });
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
    const dir = clientFolder();
    const saved = process.env.AMLTK_FINISH_TIMEOUT_MS;
    process.env.AMLTK_FINISH_TIMEOUT_MS = "300"; // here and in the child
    cleanup.push(() => {
      if (saved === undefined) delete process.env.AMLTK_FINISH_TIMEOUT_MS;
      else process.env.AMLTK_FINISH_TIMEOUT_MS = saved;
    });
    // A spool an exited writer left, which init starts delivering in the background. The
    // writer never calls finish: its script's end drains for the bound, then the process ends.
    const child = await runWriter([dir, url, "k", "old-1", "50", "exit"]);
    expect(child.out).toContain("done");
    expect(child.code).toBe(0);
    delete process.env.AMLTK_FINISH_TIMEOUT_MS; // the option, this time
    const run = await init({
      mode: "online",
      dir,
      baseUrl: url,
      id: "new-1",
      systemInterval: 0,
      finishTimeoutMs: 300,
    });
    for (let i = 0; i < 100; i++) run.log({ loss: i });
    await run.finish();
    // both requests (the new run's and the old spool's) were aborted: nothing holds the process
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    await Promise.all(closed);
    // and both spools are kept, unlocked, for `amltk sync` or the next init
    const spools = readdirSync(join(dir, "spool")).sort();
    expect(spools.map((n) => n.split("~")[0])).toEqual(["new-1", "old-1"]);
    for (const n of spools) {
      const files = readdirSync(join(dir, "spool", n));
      expect(files).not.toContain("lock");
      expect(files.some((f) => f.endsWith(".jsonl"))).toBe(true);
    }
  });

  it("refuses to start without a server URL", async () => {
    const saved = process.env.AMLTK_BASE_URL;
    delete process.env.AMLTK_BASE_URL;
    try {
      await expect(init({ mode: "online", dir: clientFolder() })).rejects.toThrow(/AMLTK_BASE_URL/);
      await expect(
        init({ mode: "online", baseUrl: "ftp://x", dir: clientFolder() }),
      ).rejects.toThrow(/invalid server URL/);
      const o = { mode: "online", baseUrl: "http://127.0.0.1:9", dir: clientFolder() } as const;
      await expect(init({ ...o, finishTimeoutMs: -1 })).rejects.toThrow(
        /finishTimeoutMs must be a number of milliseconds >= 0, got -1/,
      );
      process.env.AMLTK_FINISH_TIMEOUT_MS = "soon";
      await expect(init(o)).rejects.toThrow(/AMLTK_FINISH_TIMEOUT_MS .* got "soon"/);
    } finally {
      if (saved !== undefined) process.env.AMLTK_BASE_URL = saved;
      delete process.env.AMLTK_FINISH_TIMEOUT_MS;
    }
  });
});

/**
 * PostgreSQL for the exactly-once tests: one database per server folder, so a server started
 * again on the same folder finds the same data (as a SQLite server does in its file).
 */
const pgUrls = new Map<string, Promise<string>>();
const POSTGRES_BY_DIR: StoreBackend<PostgresStore> = {
  name: "postgres",
  open: async (dir) => {
    let url = pgUrls.get(dir);
    if (!url) {
      url = freshPostgresUrl();
      pgUrls.set(dir, url);
    }
    return PostgresStore.open(await url);
  },
};

/** The exactly-once tests run on every store a server writes through its ledger. */
const EXACTLY_ONCE_BACKENDS: readonly StoreBackend[] = [
  SQLITE_BACKEND,
  ...(NO_POSTGRES ? [] : [POSTGRES_BY_DIR]),
];

describe.each(EXACTLY_ONCE_BACKENDS)("online mode exactly once on $name", (backend) => {
  it("delivers exactly once a run that finished while the server was down", async () => {
    const { dir, clientDir } = folders();
    let ts: TestServer<Store> | undefined = await startServerOn(backend, { dir });
    const { port } = ts.server;
    const key = ts.key;
    const run = await init({
      mode: "online",
      dir: clientDir,
      baseUrl: ts.server.url,
      apiKey: key,
      project: "down",
      systemInterval: 0,
    });
    for (let i = 0; i < 500; i++) run.log({ loss: i });
    await run.flush();
    await allDelivered();
    await expectSteps(ts.store, run.id, "loss", 500);
    await ts.stop();
    ts = undefined;
    // the server is gone: logging and finishing must not wait for it
    for (let i = 500; i < 1500; i++) run.log({ loss: i });
    await run.finish();
    // same port, same store, same key
    const ts2 = await startServerOn(backend, { dir, port });
    cleanup.push(() => ts2.stop());
    // finish stopped delivery; the spool is this process's to deliver again (as the next init does)
    expect(await deliverSpools({ dir: clientDir, apiKey: key }).done()).toBe(true);
    await expectSteps(ts2.store, run.id, "loss", 1500);
    expect((await ts2.store.getRun(run.id))?.state).toBe("finished");
  });

  it("leaves a spool when the process exits with the server down; sync delivers it once", async () => {
    // a port with no server behind it (a server that was started and stopped)
    const { dir, clientDir, port, url, key } = await downServer(backend);
    const a = await runWriter([clientDir, url, key, "spooled-1", "2000", "finish"]);
    expect(a.out).toContain("done");
    const b = await runWriter([clientDir, url, key, "spooled-2", "700", "exit"]);
    expect(b.out).toContain("done");
    expect(readdirSync(join(clientDir, "spool"))).toHaveLength(2);

    const ts = await server({ dir, port }, backend);
    const first = deliverSpools({ dir: clientDir, apiKey: key });
    expect(first.spools).toHaveLength(2);
    expect(await first.done()).toBe(true);
    await expectSteps(ts.store, "spooled-1", "loss", 2000);
    await expectSteps(ts.store, "spooled-2", "i", 700);
    expect((await ts.store.getRun("spooled-1"))?.state).toBe("finished");
    // the exit hook finished the second run with the exit code
    expect(await ts.store.getRun("spooled-2")).toMatchObject({ state: "finished", exitCode: 0 });
    expect(readdirSync(join(clientDir, "spool"))).toEqual([]);
    // nothing left: a second sync finds nothing and nothing doubles
    expect(deliverSpools({ dir: clientDir, apiKey: key }).spools).toHaveLength(0);
    await expectSteps(ts.store, "spooled-1", "loss", 2000);
  });

  it("the next online init in the same dir delivers a spool an exited process left", async () => {
    const { dir, clientDir, port, url, key } = await downServer(backend);
    const child = await runWriter([clientDir, url, key, "left-1", "300", "finish"]);
    expect(child.out).toContain("done");
    const ts = await server({ dir, port }, backend);
    const run = await init({
      mode: "online",
      dir: clientDir,
      baseUrl: url,
      apiKey: key,
      systemInterval: 0,
    });
    await run.finish();
    await allDelivered();
    await expectSteps(ts.store, "left-1", "loss", 300);
    expect((await ts.store.getRun("left-1"))?.state).toBe("finished");
    expect(readdirSync(join(clientDir, "spool"))).toEqual([]);
  });

  it("spills to disk past its memory bound while the server is down, then delivers once", async () => {
    const { dir, clientDir, port, url, key } = await downServer(backend);
    const store = new OnlineStore({
      dir: clientDir,
      baseUrl: url,
      apiKey: key,
      maxMemoryPoints: 2_000,
    });
    const run = await init({ store, id: "spill-1", project: "spill", systemInterval: 0 });
    for (let i = 0; i < 10_000; i++) {
      run.log({ loss: i });
      if (i % 1000 === 999) await run.flush();
    }
    const spool = join(clientDir, "spool", `spill-1~${store.writer}`);
    const segments = readdirSync(spool).filter((f) => /^\d{12}\.jsonl$/.test(f));
    expect(segments.length).toBeGreaterThan(1);
    await run.finish();
    await store.close(); // server down: returns at once, the rest stays spooled
    const ts = await server({ dir, port }, backend);
    expect(await deliverSpools({ dir: clientDir, apiKey: key }).done()).toBe(true);
    await expectSteps(ts.store, "spill-1", "loss", 10_000);
    expect((await ts.store.getRun("spill-1"))?.state).toBe("finished");
    expect(existsSync(spool)).toBe(false);
  });
});
