/**
 * The processes executor's worker when its host dies while it starts: it ends by itself,
 * without an unhandled `ERR_IPC_CHANNEL_CLOSED` (its hello has no one to go to).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { skipBecause } from "../../../test/skip.js";

const HOST = fileURLToPath(new URL("./test-fixtures/host-dies-at-start.ts", import.meta.url));
const notLinux = skipBecause(
  process.platform !== "linux",
  "a worker whose host dies while it starts",
  `written for Linux (/proc); this is ${process.platform}`,
);

/** Whether `pid` runs (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

it.skipIf(notLinux)(
  "a worker whose host was killed while it started ends quietly",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "amltk-worker-start-"));
    const stderr = join(dir, "worker.stderr");
    let pid = 0;
    try {
      const host = spawn(process.execPath, ["--import", "tsx", HOST, stderr], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      host.stdout.on("data", (b: Buffer) => {
        out += b.toString();
      });
      const signal = await new Promise((r) => host.once("exit", (_c, s) => r(s)));
      expect(signal).toBe("SIGKILL");
      pid = Number(out.trim());
      expect(pid).toBeGreaterThan(0);
      // It ends itself once it finds its host gone (it also loads tsx first: be generous).
      await expect.poll(() => alive(pid), { timeout: 20_000, interval: 50 }).toBe(false);
      expect(readFileSync(stderr, "utf8")).not.toMatch(/ERR_IPC_CHANNEL_CLOSED|Error/);
    } finally {
      if (pid > 0 && alive(pid)) process.kill(pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  },
  30_000,
);
