/**
 * Real child processes that log in a loop, ended by real signals. The child writes its count of
 * logged rows synchronously after every log, so the store must hold exactly that many. Waiting is
 * on the child's output and exit, never on sleeps.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../server/server.test-helpers.js";
import { TERMINATION_SIGNALS, type TerminationSignal } from "../shared/termination.js";
import { SqliteStore } from "../store/sqlite/index.js";
import type { Store } from "../store/types.js";
import { deliverSpools } from "./online/index.js";
import { processHarness } from "./process.test-helpers.js";

const fixture = join(import.meta.dirname, "test-fixtures", "signal-child.ts");
const { kids, cleanups, tmp } = processHarness("amltk-signals-");

interface Child {
  p: ChildProcess;
  countFile: string;
  out: () => string;
}

/** Starts the logging child and resolves once its first flush went out ("ready"). */
async function startChild(dir: string, handler: string, server?: TestServer): Promise<Child> {
  const countFile = join(dir, "count");
  const online = server ? [server.server.url, server.key] : [];
  const p = spawn(
    process.execPath,
    ["--import", "tsx", fixture, dir, "r1", countFile, handler, ...online],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  kids.push(p);
  let out = "";
  p.stderr!.on("data", (b) => {
    out += b;
  });
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on("data", (b) => {
      out += b;
      if (out.includes("ready")) resolve();
    });
    p.once("exit", () => reject(new Error(`child exited before it was ready: ${out}`)));
  });
  return { p, countFile, out: () => out };
}

/** The child's exit; rejects if it is still running after 15 s (a signal that did not end it). */
function exited(p: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (p.exitCode !== null || p.signalCode !== null) {
    return Promise.resolve({ code: p.exitCode, signal: p.signalCode });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("child still running after 15 s")), 15_000);
    p.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

const logged = (c: Child) => Number(readFileSync(c.countFile, "utf8"));
const events = (c: Child) =>
  existsSync(`${c.countFile}.events`)
    ? readFileSync(`${c.countFile}.events`, "utf8").trim().split("\n")
    : [];

/** Every step 0..n-1 of `x` exactly once, with its value. */
async function expectAllPoints(store: Store, n: number): Promise<void> {
  const pts = await store.readPoints({ runId: "r1", key: "x" });
  expect(pts.length).toBe(n);
  expect(pts.every((p, i) => p.step === i && p.value === i)).toBe(true);
}

/** The child's offline store, opened after the child is gone. */
async function offlineStore(dir: string): Promise<SqliteStore> {
  const store = await SqliteStore.open(dir);
  cleanups.push(() => store.close());
  return store;
}

describe("offline run ended by a signal", () => {
  for (const signal of Object.keys(TERMINATION_SIGNALS) as TerminationSignal[]) {
    it(`${signal}: every logged point stored, run failed with ${TERMINATION_SIGNALS[signal]}, process ends by ${signal}`, async () => {
      const dir = tmp();
      const c = await startChild(dir, "none");
      c.p.kill(signal);
      expect(await exited(c.p), c.out()).toEqual({ code: null, signal });
      const store = await offlineStore(dir);
      expect(await store.getRun("r1")).toMatchObject({
        state: "failed",
        exitCode: TERMINATION_SIGNALS[signal],
      });
      await expectAllPoints(store, logged(c));
    });
  }

  it("a user's SIGINT handler runs; the run stays open until the user's code finishes it", async () => {
    const dir = tmp();
    const c = await startChild(dir, "finish");
    c.p.kill("SIGINT");
    // The user's code decided: it logged 10 more rows after the signal and exited normally.
    expect(await exited(c.p), c.out()).toEqual({ code: 0, signal: null });
    // Right after the signal every row logged so far was stored, and the run was still open.
    const atSignal = logged(c) - 10;
    expect(events(c)).toEqual([
      "user-handler",
      `after-signal running ${atSignal}/${atSignal}`,
      "finished",
    ]);
    const store = await offlineStore(dir);
    expect(await store.getRun("r1")).toMatchObject({ state: "finished", exitCode: 0 });
    await expectAllPoints(store, logged(c));
  });

  it("a second Ctrl-C ends the process at once, the run closed as failed (130)", async () => {
    const dir = tmp();
    const c = await startChild(dir, "hang");
    c.p.kill("SIGINT");
    await expect.poll(() => events(c), { timeout: 10_000 }).toEqual(["user-handler"]);
    expect(c.p.exitCode).toBeNull();
    c.p.kill("SIGINT");
    expect(await exited(c.p), c.out()).toEqual({ code: null, signal: "SIGINT" });
    const store = await offlineStore(dir);
    expect(await store.getRun("r1")).toMatchObject({ state: "failed", exitCode: 130 });
    await expectAllPoints(store, logged(c));
  });
});

describe("online run ended by a signal", () => {
  for (const signal of Object.keys(TERMINATION_SIGNALS) as TerminationSignal[]) {
    it(`${signal}: every logged point delivered once after sync, run failed with ${TERMINATION_SIGNALS[signal]}`, async () => {
      const server = await startTestServer();
      cleanups.push(() => server.stop());
      const dir = tmp();
      const c = await startChild(dir, "none", server);
      c.p.kill(signal);
      expect(await exited(c.p), c.out()).toEqual({ code: null, signal });
      // What the child had not delivered is in its spool; deliver it as `amltk sync` would.
      expect(await deliverSpools({ dir, apiKey: server.key }).done(20_000)).toBe(true);
      expect(await server.store.getRun("r1")).toMatchObject({
        state: "failed",
        exitCode: TERMINATION_SIGNALS[signal],
      });
      await expectAllPoints(server.store, logged(c));
    });
  }
});
