/**
 * The W&B-online tracker mode against our own server's W&B routes: a run's points, config,
 * summary, console and close arrive once; with the server down everything waits in the spool
 * and `syncWandbSpools` delivers it once; a writer killed with SIGKILL mid-run loses nothing it
 * had spooled and doubles nothing after sync.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, tempDir } from "../../server/server.test-helpers.js";
import type { SqliteStore } from "../../store/sqlite/index.js";
import { init } from "../init.js";
import { onlineProtocol } from "../init-options.js";
import { spoolRoot } from "./spool.js";
import { syncWandbSpools } from "./sync.js";

const here = dirname(fileURLToPath(import.meta.url));
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function server(dir?: string, port?: number): Promise<TestServer> {
  const ts = await startTestServer({ dir, port });
  cleanup.push(() => ts.stop());
  return ts;
}

function folder(prefix: string): string {
  const d = tempDir(prefix);
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** The steps stored for `key`, which must be distinct. */
async function steps(store: SqliteStore, runId: string, key: string): Promise<number[]> {
  const pts = await store.readPoints({ runId, key });
  const s = pts.map((p) => p.step);
  expect(new Set(s).size, "no step stored twice").toBe(s.length);
  return s;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("init({ mode: 'online', protocol: 'wandb' })", () => {
  it("sends points, config, summary, console and the close to a W&B-protocol server", async () => {
    const ts = await server();
    const dir = folder("amltk-wbo-");
    const run = await init({
      dir,
      id: "wbo1",
      project: "wb-online",
      mode: "online",
      protocol: "wandb",
      baseUrl: ts.server.url,
      apiKey: ts.key,
      config: { lr: 0.1 },
      tags: ["t1"],
      systemInterval: 0,
    });
    for (let i = 0; i < 3000; i++) run.log({ loss: 1 / (i + 1), acc: Number.NaN });
    run.config.update({ batch: 16 });
    run.summary.best = 0.5;
    await run.finish();
    const rec = await ts.store.getRun("wbo1");
    expect(rec).toMatchObject({
      project: "wb-online",
      state: "finished",
      exitCode: 0,
      tags: ["t1"],
      config: { lr: 0.1, batch: 16 },
    });
    expect(rec!.summary).toMatchObject({ best: 0.5 });
    expect(await steps(ts.store, "wbo1", "loss")).toEqual(range(3000));
    const acc = await ts.store.readPoints({ runId: "wbo1", key: "acc" });
    expect(Number.isNaN(acc[0]!.value as number)).toBe(true);
    expect(readdirSync(spoolRoot(dir))).toEqual([]); // delivered in full: the spool is gone
  });

  it("spools everything while the server is down; sync delivers it once", async () => {
    const srvDir = folder("amltk-wbo-srv-");
    const probe = await startTestServer({ dir: srvDir });
    const { port, url } = probe.server;
    const key = probe.key;
    await probe.stop();
    const dir = folder("amltk-wbo-");
    const run = await init({
      dir,
      id: "wbo2",
      project: "wb-online",
      mode: "online",
      protocol: "wandb",
      baseUrl: url,
      apiKey: key,
      finishTimeoutMs: 300,
      systemInterval: 0,
    });
    for (let i = 0; i < 500; i++) run.log({ x: i });
    await run.finish(); // the server is down: finish returns after its bound, data stays spooled
    expect(readdirSync(spoolRoot(dir)).length).toBe(1);
    const ts = await server(srvDir, port);
    const first = await syncWandbSpools({ dir, apiKey: key, timeoutMs: 10_000 });
    expect(first).toMatchObject([{ runId: "wbo2", delivered: true, lines: 500 }]);
    expect(await syncWandbSpools({ dir, apiKey: key, timeoutMs: 10_000 })).toEqual([]);
    expect(await steps(ts.store, "wbo2", "x")).toEqual(range(500));
    expect(await ts.store.getRun("wbo2")).toMatchObject({ state: "finished", exitCode: 0 });
  });

  it("a writer killed with SIGKILL mid-run: after sync, 0 lost and 0 doubled", async () => {
    const ts = await server();
    const dir = folder("amltk-wbo-");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(here, "test-fixtures", "wandb-logger.ts"),
        dir,
        ts.server.url,
        ts.key,
        "wbo3",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    cleanup.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    const flushed = await new Promise<number>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`no progress: ${out}`)), 60_000);
      child.stdout.on("data", (d) => {
        out += d;
        const last = [...out.matchAll(/flushed (\d+)/g)].at(-1);
        if (last && Number(last[1]) >= 3000) {
          clearTimeout(timer);
          resolve(Number(last[1]));
        }
      });
      child.stderr.on("data", (d) => (out += d));
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("close", r));
    const report = await syncWandbSpools({ dir, apiKey: ts.key, timeoutMs: 20_000 });
    expect(report).toMatchObject([{ runId: "wbo3", delivered: true }]);
    const xs = await steps(ts.store, "wbo3", "x");
    expect(xs.length).toBeGreaterThan(flushed);
    expect(xs).toEqual(range(xs.length)); // a gap-free prefix: every spooled step, once
    expect(await steps(ts.store, "wbo3", "y")).toEqual(xs);
    expect(existsSync(spoolRoot(dir)) ? readdirSync(spoolRoot(dir)) : []).toEqual([]);
  }, 90_000);

  it("resumes a run by id: its steps go on after the server's, config and tags kept", async () => {
    const ts = await server();
    const dir = folder("amltk-wbo-");
    const common = {
      dir,
      id: "wbo4",
      project: "wb-online",
      mode: "online" as const,
      protocol: "wandb" as const,
      baseUrl: ts.server.url,
      apiKey: ts.key,
      systemInterval: 0,
    };
    const first = await init({ ...common, config: { lr: 0.1 }, tags: ["a"] });
    for (let i = 0; i < 10; i++) first.log({ x: i });
    await first.finish();
    const again = await init({ ...common, resume: "must", config: { batch: 8 } });
    expect(again.step).toBe(10);
    for (let i = 0; i < 10; i++) again.log({ x: 10 + i });
    await again.finish();
    expect(await steps(ts.store, "wbo4", "x")).toEqual(range(20));
    expect(await ts.store.getRun("wbo4")).toMatchObject({
      state: "finished",
      tags: ["a"],
      config: { lr: 0.1, batch: 8 },
    });
    await expect(init({ ...common, id: "wbo-none", resume: "must" })).rejects.toThrow(
      /does not exist/,
    );
  });

  it("chooses the protocol from the option, AMLTK_PROTOCOL or WANDB_BASE_URL", () => {
    expect(onlineProtocol({ protocol: "wandb" }, {})).toBe("wandb");
    expect(onlineProtocol({}, { WANDB_BASE_URL: "http://w" })).toBe("wandb");
    expect(onlineProtocol({}, { WANDB_BASE_URL: "http://w", AMLTK_BASE_URL: "http://a" })).toBe(
      "amltk",
    );
    expect(onlineProtocol({ baseUrl: "http://a" }, { WANDB_BASE_URL: "http://w" })).toBe("amltk");
    expect(onlineProtocol({}, { AMLTK_PROTOCOL: "wandb" })).toBe("wandb");
    expect(() => onlineProtocol({}, { AMLTK_PROTOCOL: "grpc" })).toThrow(
      /AMLTK_PROTOCOL must be "amltk" or "wandb", got "grpc"/,
    );
  });
});
