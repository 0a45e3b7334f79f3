import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { exited, jsonLines, whenReady } from "./child.test-helpers.js";
import { onTermination, TERMINATION_SIGNALS, type TerminationSignal } from "./termination.js";

const child = join(import.meta.dirname, "test-fixtures", "termination-child.ts");
const running: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts the child and resolves once it has registered its cleanup. */
async function start(
  mode: "plain" | "user" | "linger" | "linger-user",
): Promise<{ p: ChildProcess; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), "amltk-term-"));
  dirs.push(dir);
  const out = join(dir, "out.jsonl");
  const p = spawn(process.execPath, ["--import", "tsx", child, out, mode], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  running.push(p);
  await whenReady(p, "child");
  return { p, out };
}

describe("onTermination", () => {
  for (const signal of Object.keys(TERMINATION_SIGNALS) as TerminationSignal[]) {
    it(`runs the cleanup on ${signal}, then ends the process by that signal`, async () => {
      const { p, out } = await start("plain");
      p.kill(signal);
      expect(await exited(p)).toEqual({ code: null, signal });
      expect(jsonLines(out)).toEqual([
        { signal, exitCode: TERMINATION_SIGNALS[signal], ending: true },
      ]);
    });
  }

  it("leaves the exit to a user's own handler, and a second signal ends the process", async () => {
    const { p, out } = await start("user");
    p.kill("SIGINT");
    await expect.poll(() => jsonLines(out).length).toBe(2);
    expect(p.exitCode).toBeNull();
    p.kill("SIGINT");
    expect(await exited(p)).toEqual({ code: null, signal: "SIGINT" });
    expect(jsonLines(out)).toContainEqual({ signal: "SIGINT", exitCode: 130, ending: false });
    expect(jsonLines(out)).toContainEqual({ signal: "SIGINT", exitCode: 130, ending: true });
    expect(jsonLines(out)).toContainEqual({ user: true });
  });

  it("with lingerMs keeps its handlers for the next registration to reuse", () => {
    const count = () => process.listenerCount("SIGTERM");
    const before = count();
    const stop = onTermination(() => {}, { lingerMs: 60_000 });
    expect(count()).toBe(before + 1);
    stop();
    expect(count()).toBe(before + 1); // lingering
    const again = onTermination(() => {});
    expect(count()).toBe(before + 1); // reused, not a second listener
    again(); // no linger asked: removed now
    expect(count()).toBe(before);
  });

  it("lingering handlers with no cleanup act as Node's default: the signal ends the process", async () => {
    const { p, out } = await start("linger");
    p.kill("SIGTERM");
    expect(await exited(p)).toEqual({ code: null, signal: "SIGTERM" });
    expect(jsonLines(out)).toEqual([]); // no cleanup ran: there was none
  });

  it("lingering handlers leave a user's handler alone, even at a second signal", async () => {
    const { p, out } = await start("linger-user");
    p.kill("SIGINT");
    await expect.poll(() => jsonLines(out).length).toBe(1);
    p.kill("SIGINT");
    await expect.poll(() => jsonLines(out).length).toBe(2);
    expect(jsonLines(out)).toEqual([{ user: true }, { user: true }]);
    expect([p.exitCode, p.signalCode]).toEqual([null, null]); // still running: the user decides
  });
});
