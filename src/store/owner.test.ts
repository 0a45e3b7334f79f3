/**
 * Owner liveness against real processes: a child's start token, the token after the child is
 * gone, PID reuse simulated with a live unrelated process, and the schema upgrade that adds the
 * token column.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { skipBecause } from "../../test/skip.js";
import { ownerDead, processStartToken } from "./owner.js";
import { SqliteStore } from "./sqlite/index.js";
import { oldDatabase, tempDirs } from "./sqlite/sqlite.test-helpers.js";

const tempDir = tempDirs("amltk-owner-");
const ticksOf = (token: string) => Number(token.slice(token.lastIndexOf(":") + 1));
const scopeOf = (token: string) => token.slice(0, token.lastIndexOf(":"));
const withTicks = (token: string, ticks: number) => `${scopeOf(token)}:${ticks}`;
const withBoot = (token: string, boot: string) => token.replace(/^linux:[^:]+:/, `linux:${boot}:`);
/** Start times, boot ids and PID namespaces come from /proc: only Linux has them. */
const noProc = skipBecause(
  processStartToken(process.pid) === null,
  "processStartToken on a real process",
  "no /proc/<pid>/stat here (Linux only): process start times cannot be read",
);
const kids: ChildProcess[] = [];
afterEach(() => {
  for (const k of kids.splice(0))
    if (k.exitCode === null && k.signalCode === null) k.kill("SIGKILL");
});

/** A child that lives until killed. */
function sleeper(): ChildProcess {
  const k = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
  kids.push(k);
  return k;
}

function exited(k: ChildProcess): Promise<void> {
  if (k.exitCode !== null || k.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => k.once("exit", () => resolve()));
}

describe("processStartToken", () => {
  it("is null for pids that cannot be a process", () => {
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(processStartToken(pid)).toBeNull();
  });

  it.skipIf(noProc)("names a process by boot and start time, and is gone with it", async () => {
    const k = sleeper();
    const token = processStartToken(k.pid!);
    expect(token).toMatch(/^linux:[0-9a-f-]{36}:\d+:\d+$/);
    // Same boot and PID namespace as this process, and a start no earlier than this one's.
    const mine = processStartToken(process.pid)!;
    expect(scopeOf(token!)).toBe(scopeOf(mine));
    expect(ticksOf(token!)).toBeGreaterThanOrEqual(ticksOf(mine));
    expect(processStartToken(k.pid!)).toBe(token); // stable while it lives
    k.kill("SIGKILL");
    await exited(k);
    expect(processStartToken(k.pid!)).toBeNull();
  });
});

describe("ownerDead", () => {
  const host = hostname();

  it("judges only owners on this host", () => {
    expect(ownerDead({ pid: 999_999_999, host: `not-${host}` })).toBe(false);
    expect(ownerDead({ pid: null, host })).toBe(false);
  });

  it("sees a dead pid with or without a token", async () => {
    const k = sleeper();
    const ownerStart = processStartToken(k.pid!);
    expect(ownerDead({ pid: k.pid!, host, ownerStart })).toBe(false);
    k.kill("SIGKILL");
    await exited(k);
    expect(ownerDead({ pid: k.pid!, host, ownerStart })).toBe(true);
    expect(ownerDead({ pid: k.pid!, host })).toBe(true);
  });

  it.skipIf(noProc)("sees a reused pid: alive, but another process than the owner", () => {
    const k = sleeper();
    const real = processStartToken(k.pid!)!;
    expect(ownerDead({ pid: k.pid!, host, ownerStart: withTicks(real, ticksOf(real) - 1) })).toBe(
      true,
    );
    expect(ownerDead({ pid: k.pid!, host, ownerStart: withBoot(real, "another-boot") })).toBe(true);
    // No token, or one from a system this host cannot check: the pid alone decides (alive).
    expect(ownerDead({ pid: k.pid!, host, ownerStart: null })).toBe(false);
    expect(ownerDead({ pid: k.pid!, host, ownerStart: "darwin:1" })).toBe(false);
  });

  it.skipIf(noProc)(
    "does not judge an owner of another PID namespace by its pid here",
    async () => {
      const k = sleeper();
      const real = processStartToken(k.pid!)!;
      k.kill("SIGKILL");
      await exited(k);
      // The same pid is dead here, but in the owner's namespace it names another process.
      const elsewhere = real.replace(/:(\d+):(\d+)$/, ":1$1:$2");
      expect(ownerDead({ pid: k.pid!, host, ownerStart: elsewhere })).toBe(false);
      expect(ownerDead({ pid: k.pid!, host, ownerStart: real })).toBe(true);
      // An earlier boot is gone whatever the namespace.
      expect(ownerDead({ pid: k.pid!, host, ownerStart: withBoot(elsewhere, "old-boot") })).toBe(
        true,
      );
    },
  );
});

describe("schema upgrade", () => {
  it("adds the owner token to a version-5 store; its running runs keep pid liveness", async () => {
    const dir = tempDir();
    const old = oldDatabase(dir, 5, "done");
    old
      .prepare(
        "INSERT INTO runs (id, project, name, state, created_at, heartbeat_at, pid, host) VALUES (?, 'p', 'n', 'running', ?, ?, ?, ?)",
      )
      .run("live", Date.now(), Date.now(), process.pid, hostname());
    old.close();
    const store = SqliteStore.openSync(dir);
    try {
      expect(await store.getRun("live")).toMatchObject({ state: "running", ownerStart: null });
      expect(await store.reapCrashed(Number.POSITIVE_INFINITY)).toEqual([]);
      await store.updateRun("live", { ownerStart: "test:1" });
      expect(await store.getRun("live")).toMatchObject({ state: "running", ownerStart: "test:1" });
      await expect(store.updateRun("live", { ownerStart: "x".repeat(201) })).rejects.toThrow(
        /ownerStart must be a string of at most 200 characters/,
      );
    } finally {
      store.closeSync();
    }
  });
});
