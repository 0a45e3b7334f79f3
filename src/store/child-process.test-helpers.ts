/** Shared by tests that write to a store from real child processes (SQLite, online mode). */
import { spawn } from "node:child_process";

/**
 * Runs a TypeScript fixture in a child Node process (through tsx) and resolves when it exits,
 * with its exit code and its stdout and stderr interleaved (for assertion messages).
 */
export function runTsx(
  script: string,
  args: readonly string[],
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b) => {
      out += b;
    });
    child.stderr.on("data", (b) => {
      out += b;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}
