/**
 * Ctrl-C to a scheduler host reaches its trials as a Ctrl-C: a tracked run in a worker
 * process is written and closed as `failed` with exit code 130 (as W&B records a killed run),
 * and the worker is gone. Real processes, a real signal, a real SQLite store.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipBecause } from "../skip.js";

const HOST = fileURLToPath(new URL("./host-signal-host.ts", import.meta.url));

let host: ChildProcess | undefined;
let dir: string | undefined;
let worker: number | undefined;

/** Whether `pid` is alive (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

afterEach(() => {
  if (host?.exitCode === null && host.signalCode === null) host.kill("SIGKILL");
  if (worker !== undefined && alive(worker)) process.kill(-worker, "SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
  host = worker = dir = undefined;
});

/** Process groups, /proc and the signals these tests send are Linux's. */
const notLinux = skipBecause(
  process.platform !== "linux",
  "Ctrl-C to a scheduler host",
  `written for Linux (process groups, /proc); this is ${process.platform}`,
);

describe.skipIf(notLinux)("Ctrl-C to a scheduler host", () => {
  it("closes a worker's tracked run as failed (130) with its points, and ends the worker", async () => {
    dir = mkdtempSync(join(tmpdir(), "amltk-host-signal-"));
    const child = spawn(process.execPath, ["--import", "tsx", HOST, dir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    host = child;
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (d) => String(d).includes("running") && resolve());
      child.once("exit", (code, sig) => reject(new Error(`host ended early: ${code} ${sig}`)));
    });
    worker = Number(readFileSync(join(dir, "worker.pid"), "utf8"));
    const ended = new Promise<string | null>((r) => child.once("exit", (_c, sig) => r(sig)));
    child.kill("SIGINT");
    expect(await ended).toBe("SIGINT");
    const pid = worker;
    await expect.poll(() => alive(pid), { timeout: 2000, interval: 50 }).toBe(false);

    expect(existsSync(join(dir, "worker.pid"))).toBe(true);
    const store = await SqliteStore.open(dir);
    try {
      const run = await store.getRun("trial");
      expect(run).toMatchObject({ state: "failed", exitCode: 130 });
      const points = await store.readPoints({ runId: "trial", key: "x" });
      expect(points.length).toBeGreaterThanOrEqual(1000);
      // Every point up to the last one stored is there: nothing dropped in between.
      expect(points.length).toBe((points.at(-1)?.value as number) + 1);
    } finally {
      await store.close();
    }
  }, 30_000);
});
