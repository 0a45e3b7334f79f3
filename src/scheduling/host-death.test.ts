/**
 * No worker outlives its scheduler: a real host process (test-fixtures/host.ts) with two
 * process workers — one spinning in a CPU-bound trial, one waiting — each with a grandchild
 * that ignores SIGINT/SIGTERM/SIGHUP, is ended with real signals. Afterwards no process may
 * remain in either worker's process group. Linux only (reads /proc).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { skipBecause } from "../../test/skip.js";

const HOST = fileURLToPath(new URL("./test-fixtures/host.ts", import.meta.url));

/** Live (non-zombie) processes whose process group is `pgid`. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // ended while we looked
    }
    // After "(comm) ": state, ppid, pgrp.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") out.push(Number(name));
  }
  return out;
}

let host: ChildProcess | undefined;
let dir: string | undefined;
let workers: number[] = [];

afterEach(() => {
  // Whatever a failed test left behind must not outlive it.
  if (host?.exitCode === null && host.signalCode === null) host.kill("SIGKILL");
  for (const w of workers)
    if (w > 1) for (const pid of groupMembers(w)) process.kill(pid, "SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
  host = undefined;
  dir = undefined;
  workers = [];
});

/** Starts the host and resolves once both trials run (it printed "running"). */
async function startHost(mode?: string): Promise<ChildProcess> {
  dir = mkdtempSync(join(tmpdir(), "amltk-host-"));
  const child = spawn(process.execPath, ["--import", "tsx", HOST, dir, ...(mode ? [mode] : [])], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  host = child;
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d) => {
      out += String(d);
      if (out.includes("running")) resolve();
    });
    child.once("exit", (code, signal) => reject(new Error(`host ended early: ${code} ${signal}`)));
  });
  workers = ["spin", "wait"].map((role) => Number(readFileSync(join(dir ?? "", `${role}.pid`))));
  // A pid of 0 would make groupMembers list the kernel's threads (process group 0).
  for (const w of workers) expect(w).toBeGreaterThan(1);
  // Each worker leads its own group, which holds the worker and its trial's grandchild.
  for (const w of workers) expect(groupMembers(w).length).toBeGreaterThanOrEqual(2);
  return child;
}

async function endHost(child: ChildProcess, signal: NodeJS.Signals) {
  const ended = new Promise<{ code: number | null; signal: string | null }>((r) =>
    child.once("exit", (code, sig) => r({ code, signal: sig })),
  );
  child.kill(signal);
  return ended;
}

/** Polls until no process is left in any worker's group; 2 s after the host ended at most. */
async function expectWorkersGone(): Promise<void> {
  await expect
    .poll(() => workers.flatMap(groupMembers), { timeout: 2000, interval: 50 })
    .toEqual([]);
}

/** Process groups, /proc and the signals these tests send are Linux's. */
const notLinux = skipBecause(
  process.platform !== "linux",
  "a scheduler host that dies",
  `written for Linux (process groups, /proc); this is ${process.platform}`,
);

describe.skipIf(notLinux)("a scheduler host that dies", () => {
  it("SIGKILL: each worker ends its own group (busy: watchdog thread; idle: disconnect)", async () => {
    const child = await startHost();
    expect(await endHost(child, "SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
    await expectWorkersGone();
  }, 20_000);

  it.each(["SIGINT", "SIGTERM", "SIGHUP"] as const)(
    "%s: the host ends its workers' groups, then dies of the signal",
    async (signal) => {
      const child = await startHost();
      // The host re-raises the signal after its cleanup, so it ends as killed by it.
      expect(await endHost(child, signal)).toEqual({ code: null, signal });
      await expectWorkersGone();
    },
    20_000,
  );

  it("a user's SIGINT handler decides; when it exits, the exit hook ends the groups", async () => {
    const child = await startHost("user-exit");
    expect(await endHost(child, "SIGINT")).toEqual({ code: 0, signal: null });
    await expectWorkersGone();
  }, 20_000);
});
