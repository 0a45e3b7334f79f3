/** Fixture functions imported by worker processes in tests. */
import { importable } from "../executors/executor.js";

export const square = importable((x: number) => x * x, import.meta.url, "square");

export const fail = importable(
  (msg: string) => {
    throw new Error(msg);
  },
  import.meta.url,
  "fail",
);

export const pid = importable(() => process.pid, import.meta.url, "pid");

export const hang = importable(() => new Promise<never>(() => {}), import.meta.url, "hang");

/** Starts a long-running grandchild, reports its pid through a file, then hangs. */
export const spawnAndHang = importable(
  async (pidFile: string) => {
    const { spawn } = await import("node:child_process");
    const { writeFileSync } = await import("node:fs");
    const c = spawn("sleep", ["1000"], { stdio: "ignore" });
    writeFileSync(pidFile, String(c.pid));
    return new Promise<never>(() => {});
  },
  import.meta.url,
  "spawnAndHang",
);

import type { CommHandle } from "../plugins/comm-handle.js";

/** Sends `n` messages, asks the host for a factor, returns n * factor. */
export const chatty = importable(
  async (n: number, comm: CommHandle) => {
    for (let i = 0; i < n; i++) comm.send({ i });
    const factor = (await comm.request("factor?")) as number;
    return n * factor;
  },
  import.meta.url,
  "chatty",
);

/** Waits until the host answers "go?" (a gate the test opens from an event handler). */
export const gated = importable(
  async (value: string, comm: CommHandle) => {
    await comm.request("go?", { timeout: 60 });
    return value;
  },
  import.meta.url,
  "gated",
);

/** Asks with a short timeout and nobody answers. */
export const unanswered = importable(
  (comm: CommHandle) => comm.request("anyone?", { timeout: 0.1 }),
  import.meta.url,
  "unanswered",
);

/** Tries to send a function. */
export const sendsFunction = importable(
  (comm: CommHandle) => {
    comm.send({ ok: 1, callback: () => 1 });
  },
  import.meta.url,
  "sendsFunction",
);

/** Resolves after `seconds` (the subject of wall-time limits, not a test synchronization). */
export const nap = importable(
  (seconds: number) => new Promise((r) => setTimeout(() => r(seconds), seconds * 1000)),
  import.meta.url,
  "nap",
);

/** Burns CPU in 5 ms slices for up to `seconds`, yielding between slices. */
export const burn = importable(
  async (seconds: number) => {
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const slice = performance.now() + 5;
      while (performance.now() < slice) {}
      await new Promise((r) => setImmediate(r));
    }
    return "done";
  },
  import.meta.url,
  "burn",
);

const hoard: number[][] = [];
/** Grows the JS heap by ~8 MB per step (up to `mb` MB), yielding between steps. */
export const hog = importable(
  async (mb: number) => {
    for (let i = 0; i < mb / 8; i++) {
      hoard.push(new Array(1_000_000).fill(i + 0.5));
      await new Promise((r) => setImmediate(r));
    }
    return hoard.length;
  },
  import.meta.url,
  "hog",
);

/** Kills its own worker: SIGKILL for a process, exit for a thread. */
export const dieHard = importable(
  async () => {
    const { isMainThread } = await import("node:worker_threads");
    if (isMainThread) process.kill(process.pid, "SIGKILL");
    else process.exit(7);
    return new Promise<never>(() => {});
  },
  import.meta.url,
  "dieHard",
);

/** Waits for the first message the host sends on the channel and returns it. */
export const listens = importable(
  (comm: CommHandle) => new Promise((resolve) => comm.onMessage(resolve)),
  import.meta.url,
  "listens",
);

/**
 * Starts a grandchild that ignores SIGINT/SIGTERM/SIGHUP (so only SIGKILL to the group ends
 * it), writes this worker's pid to `<dir>/<role>.pid`, then either spins without ever yielding
 * ("spin": the worker's event loop is blocked) or waits forever ("wait": the loop is free).
 */
export const occupyWorker = importable(
  async (dir: string, role: string, how: "spin" | "wait") => {
    const { spawn } = await import("node:child_process");
    const { renameSync, writeFileSync } = await import("node:fs");
    spawn("sh", ["-c", 'trap "" INT TERM HUP; sleep 1000; :'], { stdio: "ignore" });
    // Written aside, then renamed: the host announces "running" as soon as the file exists, and
    // a file that exists but is still empty would read as pid 0 (caught once on a loaded machine).
    writeFileSync(`${dir}/${role}.pid.tmp`, String(process.pid));
    renameSync(`${dir}/${role}.pid.tmp`, `${dir}/${role}.pid`);
    if (how === "spin") for (;;) {}
    return new Promise<never>(() => {});
  },
  import.meta.url,
  "occupyWorker",
);

const buffers: Buffer[] = [];
/** Allocates (and touches) `mb` MB of Buffers, 8 MB per step, outside the V8 heap. */
export const bufferHog = importable(
  async (mb: number) => {
    for (let i = 0; i < mb / 8; i++) {
      buffers.push(Buffer.alloc(8 * 2 ** 20, i + 1));
      await new Promise((r) => setImmediate(r));
    }
    return buffers.length;
  },
  import.meta.url,
  "bufferHog",
);

/** Writes `file` from the worker's `exit` hook: it exists only if the worker exited normally. */
export const markOnExit = importable(
  async (file: string) => {
    const { writeFileSync } = await import("node:fs");
    process.once("exit", () => writeFileSync(file, "exited normally"));
    return process.pid;
  },
  import.meta.url,
  "markOnExit",
);
