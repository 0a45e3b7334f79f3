/** What the termination tests do with their child processes: wait for ready, exit, output. */
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

/** Resolves once `p` printed "ready"; rejects if it exits first (`what` names it). */
export function whenReady(p: ChildProcess, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    p.stdout!.on("data", (b: Buffer) => b.toString().includes("ready") && resolve());
    p.once("exit", () => reject(new Error(`${what} exited before it was ready`)));
  });
}

/** How `p` ended: its exit code, or the signal that ended it. */
export function exited(p: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (p.exitCode !== null || p.signalCode !== null) {
    return Promise.resolve({ code: p.exitCode, signal: p.signalCode });
  }
  return new Promise((resolve) => p.once("exit", (code, signal) => resolve({ code, signal })));
}

/** The JSON lines a child appended to `out` (none yet: empty). */
export function jsonLines(out: string): unknown[] {
  if (!existsSync(out)) return [];
  return readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}
