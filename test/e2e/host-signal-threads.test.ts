/**
 * A signal to a scheduler host reaches its worker threads' tracked runs, although Node gives
 * threads no signals of their own: a thread busy logging and a thread that awaits both have
 * their runs written, every point they logged stored, and closed as `failed` with the signal's
 * exit code; then the host ends by that signal. Real process, real signals, real SQLite.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { TERMINATION_SIGNALS } from "../../src/shared/termination.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipBecause } from "../skip.js";

const HOST = fileURLToPath(new URL("./host-signal-threads-host.ts", import.meta.url));

let host: ChildProcess | undefined;
let dir: string | undefined;

afterEach(() => {
  if (host?.exitCode === null && host.signalCode === null) host.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
  host = dir = undefined;
});

/** Starts the host and resolves once both trials are under way. */
async function startHost(): Promise<{ child: ChildProcess; dir: string }> {
  const d = mkdtempSync(join(tmpdir(), "amltk-host-threads-"));
  dir = d;
  const child = spawn(process.execPath, ["--import", "tsx", HOST, d], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  host = child;
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (b) => String(b).includes("running") && resolve());
    child.once("exit", (code, sig) => reject(new Error(`host ended early: ${code} ${sig}`)));
  });
  return { child, dir: d };
}

function logged(d: string, name: string): number {
  return Number(readFileSync(join(d, `${name}.count`), "utf8").trim());
}

/** Process groups, /proc and the signals these tests send are Linux's. */
const notLinux = skipBecause(
  process.platform !== "linux",
  "a signal to a host running threads",
  `written for Linux (process groups, /proc); this is ${process.platform}`,
);

describe.skipIf(notLinux)("a signal to a host running threads", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`closes busy and idle threads' runs as failed (${TERMINATION_SIGNALS[signal]}) with every point (${signal})`, async () => {
      const { child, dir: d } = await startHost();
      const ended = new Promise<string | null>((r) => child.once("exit", (_c, sig) => r(sig)));
      child.kill(signal);
      expect(await ended).toBe(signal);

      const store = await SqliteStore.open(d);
      try {
        for (const id of ["busy", "idle"]) {
          const run = await store.getRun(id);
          expect(run).toMatchObject({ state: "failed", exitCode: TERMINATION_SIGNALS[signal] });
          const points = await store.readPoints({ runId: id, key: "x" });
          // Exactly what the trial saw `log` accept: none lost, none beyond.
          expect(points.length).toBe(logged(d, id));
          expect(points.at(-1)?.value).toBe(points.length - 1);
        }
        expect(logged(d, "busy")).toBeGreaterThanOrEqual(1000);
        expect(logged(d, "idle")).toBe(50);
      } finally {
        await store.close();
      }
    }, 30_000);
  }
});
