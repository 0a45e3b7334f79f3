import { spawnSync } from "node:child_process";
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Op } from "../../protocol/batch.js";
import { startTestServer, type TestServer, tempDir } from "../../server/server.test-helpers.js";
import { processStartToken } from "../../store/run-record.js";
import { ownerGone, Spool, SpoolError, type SpoolMeta, segmentName } from "./spool.js";
import { deliverSpools, formatSyncReport } from "./sync.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function clientDir(): string {
  const d = tempDir("amltk-spool-");
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function server(): Promise<TestServer> {
  const ts = await startTestServer();
  cleanup.push(() => ts.stop());
  return ts;
}

/** The pid of a process that has exited (a spool's writer that died). */
const deadPid = spawnSync(process.execPath, ["-e", ""]).pid;

/** A spool as a process that has exited left it. */
function deadSpool(dir: string, runId: string, writer: string, baseUrl: string): Spool {
  const meta: SpoolMeta = { runId, writer, baseUrl, pid: deadPid, host: hostname(), createdAt: 1 };
  return new Spool(dir, meta);
}

const create = (seq: number): Op => ({
  seq,
  type: "create",
  run: { project: "p", name: "n", createdAt: 1_764_000_000_000 },
});
const history = (seq: number, from: number, n: number, value = (s: number) => s): Op => ({
  seq,
  type: "history",
  rows: Array.from({ length: n }, (_, i) => ({
    step: from + i,
    runtime: 0,
    timestamp: 1_764_000_000,
    values: { loss: value(from + i) },
  })),
});

describe("spool segments", () => {
  it("reads what was appended, in wire form, and reports a torn last line", () => {
    const dir = clientDir();
    const spool = deadSpool(dir, "r", "w0000001", "http://127.0.0.1:1");
    const ops: Op[] = [create(1), history(2, 0, 2, () => Number.NaN)];
    // wire form: non-finite numbers travel tagged; reading must not untag them (sent as is)
    const wire = JSON.parse(JSON.stringify(ops).replaceAll("null", '{"$amltk_num":"NaN"}'));
    spool.write(wire);
    const name = segmentName(1);
    expect(spool.read(name)).toEqual({
      ops: wire,
      lines: wire.map((o: Op) => JSON.stringify(o)),
      tornTail: false,
    });
    appendFileSync(join(spool.path, name), '{"seq":3,"type":"hist');
    const torn = spool.read(name);
    expect(torn.ops).toHaveLength(2);
    expect(torn.tornTail).toBe(true);
  });

  it("a bad line in the middle is a SpoolError naming the file and line", () => {
    const dir = clientDir();
    const spool = deadSpool(dir, "r", "w0000001", "http://127.0.0.1:1");
    spool.write([create(1)]);
    const file = join(spool.path, segmentName(1));
    writeFileSync(
      file,
      `${readFileSync(file, "utf8")}{oops\n${JSON.stringify(history(2, 0, 1))}\n`,
    );
    expect(() => spool.read(segmentName(1))).toThrow(SpoolError);
    expect(() => spool.read(segmentName(1))).toThrow(/line 2 is not valid JSON/);
  });

  it("still reads a segment of the older format (one JSON array)", () => {
    const dir = clientDir();
    const spool = deadSpool(dir, "r", "w0000001", "http://127.0.0.1:1");
    spool.write([create(1)]);
    writeFileSync(join(spool.path, "000000000002.json"), JSON.stringify([history(2, 0, 3)]));
    expect(spool.segments()).toEqual(["000000000001.jsonl", "000000000002.json"]);
    expect(spool.read("000000000002.json").ops).toEqual([history(2, 0, 3)]);
  });
});

describe("spool owners", () => {
  it("a live pid that now names another process (start time differs) is a dead writer", () => {
    const mine = processStartToken(process.pid);
    if (mine === null) return; // not Linux: liveness is by pid alone there
    const reused = mine.replace(/:\d+$/, ":1"); // same boot and namespace, another start
    const meta = { pid: process.ppid, host: hostname() };
    expect(ownerGone({ ...meta, ownerStart: processStartToken(process.ppid) })).toBe(false);
    expect(ownerGone({ ...meta, ownerStart: reused })).toBe(true);
    expect(ownerGone({ pid: deadPid, host: hostname() })).toBe(true);
    expect(ownerGone({ pid: deadPid, host: "another-host" })).toBe(false);
  });
});

describe("delivering spools that the server refuses", () => {
  it("a 404 with no create left anywhere stops delivery, keeps the spool and says why", async () => {
    const ts = await server();
    const dir = clientDir();
    // the create was acknowledged long ago, then the run was deleted on the server
    const spool = deadSpool(dir, "gone", "w0000001", ts.server.url);
    spool.write([history(5, 0, 10)]);
    const sync = deliverSpools({ dir, apiKey: ts.key });
    expect(await sync.done(10_000)).toBe(false);
    const [report] = sync.stop();
    expect(report).toMatchObject({
      runId: "gone",
      status: "undelivered",
      delivered: { ops: 0, points: 0 },
      left: { ops: 1, points: 10 },
    });
    expect(report.reason).toMatch(/server answered 404 .*gone/);
    expect(formatSyncReport([report])[0]).toMatch(
      /^run gone \(writer w0000001\): delivered 0 ops, 0 points; left 1 ops, 10 points in .*: server answered 404/,
    );
    expect(readdirSync(spool.path)).toContain(segmentName(5));
  });

  it("a 404 while another spool still holds the run's create is retried, then delivered", async () => {
    const ts = await server();
    const dir = clientDir();
    // "a" sorts first: its history reaches the server before "z"'s create
    deadSpool(dir, "two", "a0000001", ts.server.url).write([history(1, 100, 5)]);
    deadSpool(dir, "two", "z0000001", ts.server.url).write([create(1), history(2, 0, 5)]);
    const sync = deliverSpools({ dir, apiKey: ts.key });
    expect(sync.spools.map((s) => s.writer)).toEqual(["a0000001", "z0000001"]);
    expect(await sync.done(20_000)).toBe(true);
    const reports = sync.stop();
    expect(reports.map((r) => r.status)).toEqual(["delivered", "delivered"]);
    const steps = (await ts.store.readPoints({ runId: "two", key: "loss" })).map((p) => p.step);
    expect(steps).toEqual([0, 1, 2, 3, 4, 100, 101, 102, 103, 104]);
  });

  it("a corrupt segment is kept, and what follows it waits (delivery is in order)", async () => {
    const ts = await server();
    const dir = clientDir();
    const spool = deadSpool(dir, "bad", "w0000001", ts.server.url);
    spool.write([create(1)]);
    spool.write([history(2, 0, 3)]);
    writeFileSync(join(spool.path, segmentName(2)), "{oops\n{}\n");
    spool.write([history(3, 3, 3)]);
    const sync = deliverSpools({ dir, apiKey: ts.key });
    expect(await sync.done(10_000)).toBe(false);
    const [report] = sync.stop();
    expect(report.status).toBe("undelivered");
    expect(report.delivered.ops).toBe(1); // the create
    expect(report.reason).toMatch(/000000000002\.jsonl line 1 is not valid JSON/);
    expect(spool.segments()).toEqual([segmentName(2), segmentName(3)]);
  });
});
