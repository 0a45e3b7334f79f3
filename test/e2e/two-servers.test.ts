/**
 * Several server processes on one store (issue 13): a write taken by one server is read, and
 * streamed live (SSE), through another. Two real `amltk ui` processes (from source) over one
 * SQLite file; the same over one PostgreSQL database where PostgreSQL is installed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { encodeJson } from "../../src/shared/json-numbers.js";
import { postgresAvailability, sharedPostgres } from "../services/postgres.js";
import { skipBecause } from "../skip.js";
import { CLI_SCRIPT, ProcGroup, reapAll } from "./fault-processes.js";
import { type EventStream, openEventStream, streamedPoints, streamedRuns } from "./sse-events.js";

const T0 = 1_764_000_000_000;
const PG = postgresAvailability("two servers on PostgreSQL");
const noPg = skipBecause(!PG.found, "two servers on PostgreSQL", PG.reason);
let group: ProcGroup | undefined;
let stream: EventStream | undefined;
const dirs: string[] = [];

afterEach(async () => {
  stream?.close();
  stream = undefined;
  await group?.close();
  group = undefined;
  await reapAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** POSTs a batch of ops for run `id` to `server`; resolves with the answer's JSON. */
async function batch(server: string, id: string, ops: unknown[]): Promise<unknown> {
  const res = await fetch(`${server}/api/runs/${id}/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: encodeJson({ writer: "two-servers-test", ops }),
  });
  expect(res.status).toBe(200);
  return res.json();
}

/** Steps `from`..`from + n - 1` of `loss` = 1 / (step + 1), as history rows. */
function rows(from: number, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    step: from + i,
    runtime: from + i,
    timestamp: T0 / 1000 + from + i,
    values: { loss: 1 / (from + i + 1) },
  }));
}

/**
 * The scenario on two started servers `a` and `b` over one store: `b` streams project "two",
 * `a` takes a run's creation, history and finish; `b` serves and streams each.
 */
async function writeThroughOneReadThroughOther(a: string, b: string): Promise<void> {
  stream = await openEventStream(`${b}/api/stream?project=two`);
  const create = { project: "two", name: "shared", createdAt: Date.now(), config: { lr: 0.1 } };
  await batch(a, "r1", [
    { seq: 1, type: "create", run: create },
    { seq: 2, type: "history", rows: rows(0, 3) },
  ]);

  // Read through the other server, right after the write was acknowledged.
  const run = await fetch(`${b}/api/runs/r1`).then((r) => r.json());
  expect(run).toMatchObject({ id: "r1", project: "two", state: "running", nextStep: 3 });
  const history = await fetch(`${b}/api/runs/r1/history?key=loss`).then((r) => r.json());
  expect(history.step).toEqual([0, 1, 2]);
  expect(history.value).toEqual([1, 1 / 2, 1 / 3]);

  // Streamed live by the other server: the new run and its points.
  await stream.waitFor("r1's three points", (es) => streamedPoints(es).length >= 3);
  expect(streamedRuns(stream.events).map((r) => r.id)).toContain("r1");
  expect(streamedPoints(stream.events).map((p) => [p.run, p.key, p.step])).toEqual([
    ["r1", "loss", 0],
    ["r1", "loss", 1],
    ["r1", "loss", 2],
  ]);

  await batch(a, "r1", [
    { seq: 3, type: "history", rows: rows(3, 2) },
    { seq: 4, type: "patch", patch: { state: "finished", exitCode: 0, finishedAt: Date.now() } },
  ]);
  await stream.waitFor("r1 finished", (es) =>
    streamedRuns(es).some((r) => r.id === "r1" && r.state === "finished"),
  );
  await stream.waitFor("r1's steps 3 and 4", (es) => streamedPoints(es).length >= 5);
  expect(streamedPoints(stream.events).map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
  const runs = await fetch(`${b}/api/runs?project=two`).then((r) => r.json());
  expect(runs.runs.map((r: { id: string; state: string }) => [r.id, r.state])).toEqual([
    ["r1", "finished"],
  ]);
}

/** `amltk ui --no-auth --store <url>` in `group`; resolves with its URL once it listens. */
async function serveStore(g: ProcGroup, store: string): Promise<string> {
  const args = ["ui", "--no-auth", "--port", "0", "--store", store];
  const proc = g.start("server", CLI_SCRIPT, args);
  return proc.waitFor(
    "the server's URL",
    () => /amltk ui: (http:\/\/\S+)/.exec(proc.output)?.[1],
    30_000,
  );
}

describe("two server processes on one store", () => {
  it("SQLite: a write through one is read and streamed live through the other", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amltk-two-servers-"));
    dirs.push(dir);
    group = new ProcGroup();
    // Port 0: each server takes a free port itself (two free-port probes may name the same one).
    const [a, b] = await Promise.all([group.server(dir, 0), group.server(dir, 0)]);
    await writeThroughOneReadThroughOther(a.url, b.url);
  });

  it.skipIf(noPg)(
    "PostgreSQL: a write through one is read and streamed live through the other",
    async () => {
      const url = await (await sharedPostgres()).createDatabase();
      group = new ProcGroup();
      // One after the other: the first applies the migrations (both would, under a lock).
      const a = await serveStore(group, url);
      const b = await serveStore(group, url);
      await writeThroughOneReadThroughOther(a, b);
    },
  );
});
