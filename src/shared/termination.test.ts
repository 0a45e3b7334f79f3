import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
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
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on("data", (b: Buffer) => b.toString().includes("ready") && resolve());
    p.once("exit", () => reject(new Error("child exited before it was ready")));
  });
  return { p, out };
}

function exited(p: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (p.exitCode !== null || p.signalCode !== null) {
    return Promise.resolve({ code: p.exitCode, signal: p.signalCode });
  }
  return new Promise((resolve) => p.once("exit", (code, signal) => resolve({ code, signal })));
}

function lines(out: string): unknown[] {
  if (!existsSync(out)) return [];
  return readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

describe("onTermination", () => {
  for (const signal of Object.keys(TERMINATION_SIGNALS) as TerminationSignal[]) {
    it(`runs the cleanup on ${signal}, then ends the process by that signal`, async () => {
      const { p, out } = await start("plain");
      p.kill(signal);
      expect(await exited(p)).toEqual({ code: null, signal });
      expect(lines(out)).toEqual([{ signal, exitCode: TERMINATION_SIGNALS[signal], ending: true }]);
    });
  }

  it("leaves the exit to a user's own handler, and a second signal ends the process", async () => {
    const { p, out } = await start("user");
    p.kill("SIGINT");
    await expect.poll(() => lines(out).length).toBe(2);
    expect(p.exitCode).toBeNull();
    p.kill("SIGINT");
    expect(await exited(p)).toEqual({ code: null, signal: "SIGINT" });
    expect(lines(out)).toContainEqual({ signal: "SIGINT", exitCode: 130, ending: false });
    expect(lines(out)).toContainEqual({ signal: "SIGINT", exitCode: 130, ending: true });
    expect(lines(out)).toContainEqual({ user: true });
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
    expect(lines(out)).toEqual([]); // no cleanup ran: there was none
  });

  it("lingering handlers leave a user's handler alone, even at a second signal", async () => {
    const { p, out } = await start("linger-user");
    p.kill("SIGINT");
    await expect.poll(() => lines(out).length).toBe(1);
    p.kill("SIGINT");
    await expect.poll(() => lines(out).length).toBe(2);
    expect(lines(out)).toEqual([{ user: true }, { user: true }]);
    expect([p.exitCode, p.signalCode]).toEqual([null, null]); // still running: the user decides
  });
});
