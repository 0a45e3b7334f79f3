import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { exited, jsonLines, whenReady } from "./child.test-helpers.js";
import { TERMINATION_SIGNALS, type TerminationSignal } from "./termination.js";
import { linkThreadTermination } from "./termination-threads.js";

const child = join(import.meta.dirname, "test-fixtures", "termination-threads-child.ts");
const running: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts a host with one linked thread in `mode`. */
function spawnHost(mode: string, graceMs?: number): { p: ChildProcess; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "amltk-term-threads-"));
  dirs.push(dir);
  const out = join(dir, "out.jsonl");
  const args = [
    "--import",
    "tsx",
    child,
    out,
    mode,
    ...(graceMs === undefined ? [] : [String(graceMs)]),
  ];
  const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  running.push(p);
  return { p, out };
}

/** Starts a host with one linked thread in `mode`; resolves once the thread listens. */
async function start(mode: string, graceMs?: number): Promise<{ p: ChildProcess; out: string }> {
  const { p, out } = spawnHost(mode, graceMs);
  await whenReady(p, "host");
  return { p, out };
}

describe("worker threads and the host's termination", () => {
  for (const signal of Object.keys(TERMINATION_SIGNALS) as TerminationSignal[]) {
    it(`runs a busy thread's cleanup on ${signal} before the host ends by it`, async () => {
      const { p, out } = await start("busy");
      p.kill(signal);
      expect(await exited(p)).toEqual({ code: null, signal });
      const exitCode = TERMINATION_SIGNALS[signal];
      expect(jsonLines(out)).toEqual([{ thread: true, signal, exitCode, ending: true }]);
    });
  }

  it("runs an idle thread's cleanup from its event loop", async () => {
    const { p, out } = await start("idle");
    p.kill("SIGTERM");
    expect(await exited(p)).toEqual({ code: null, signal: "SIGTERM" });
    expect(jsonLines(out)).toEqual([
      { thread: true, signal: "SIGTERM", exitCode: 143, ending: true },
    ]);
  });

  it("leaves threads alone while a user's handler decides; a second signal reaches them", async () => {
    const { p, out } = await start("user");
    p.kill("SIGINT");
    await expect.poll(() => jsonLines(out)).toEqual([{ user: true }]);
    expect(p.exitCode).toBeNull();
    p.kill("SIGINT");
    expect(await exited(p)).toEqual({ code: null, signal: "SIGINT" });
    expect(jsonLines(out)).toContainEqual({
      thread: true,
      signal: "SIGINT",
      exitCode: 130,
      ending: true,
    });
  });

  it("ends the host after the grace when a thread's cleanup never returns", async () => {
    const { p, out } = await start("hang", 200);
    p.kill("SIGTERM");
    expect(await exited(p)).toEqual({ code: null, signal: "SIGTERM" });
    expect(jsonLines(out)).toEqual([
      { thread: true, signal: "SIGTERM", exitCode: 143, ending: true },
    ]);
  });

  for (const kind of ["a busy", "an idle"]) {
    it(`runs ${kind} thread's cleanup as for SIGTERM when the host exits, keeping its exit code`, async () => {
      // The host exits by itself once its thread is ready.
      const { p, out } = spawnHost(`exit-${kind.split(" ")[1]}`);
      expect(await exited(p)).toEqual({ code: 3, signal: null });
      const expected = { thread: true, signal: "SIGTERM", exitCode: 143, ending: true };
      expect(jsonLines(out)).toEqual([expected]);
    });
  }

  it("refuses a grace that is not a number >= 0, naming it", () => {
    expect(() => linkThreadTermination(-1)).toThrow(/graceMs must be a number >= 0, got -1/);
    expect(() => linkThreadTermination(Number.NaN)).toThrow(/got NaN/);
  });

  it("holds signal and exit hooks only while a link is live", () => {
    const counts = () =>
      ["SIGINT", "SIGTERM", "SIGHUP", "exit"].map((e) => process.listenerCount(e));
    const before = counts();
    const a = linkThreadTermination(100);
    const b = linkThreadTermination(100);
    expect(counts()).toEqual(before.map((n) => n + 1));
    a.release();
    a.release(); // twice is harmless
    expect(counts()).toEqual(before.map((n) => n + 1));
    b.release();
    expect(counts()).toEqual(before);
    a.link.port.close();
    b.link.port.close();
  });
});
