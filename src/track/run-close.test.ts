/**
 * `run.finish` with a closing state: `{ state: "pruned" }` stores the run `pruned` (exit code
 * 0) in a real SQLite store, also when the process exits while that finish is still under way
 * (the exit path closes the run as finish was asked to); bad options throw before anything is
 * written and leave the run open.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import { TrackError } from "./errors.js";
import { init } from "./init.js";
import { runClose } from "./run-close.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "amltk-run-close-"));
  dirs.push(d);
  return d;
}

async function stored(dir: string, id: string) {
  const store = await SqliteStore.open(dir);
  try {
    return await store.getRun(id);
  } finally {
    await store.close();
  }
}

describe("run.finish closing state", () => {
  it("closes a run pruned with exit code 0, history kept", async () => {
    const dir = tempDir();
    const run = await init({ project: "p", dir, systemInterval: 0, reinit: "create_new" });
    run.log({ loss: 0.5 });
    await run.finish({ state: "pruned" });
    expect(await stored(dir, run.id)).toMatchObject({ state: "pruned", exitCode: 0 });
  });

  it("keeps exit codes: finish(2) is failed, and a code can go with pruned", async () => {
    expect(runClose(2)).toEqual({ state: "failed", exitCode: 2 });
    expect(runClose(undefined)).toEqual({ state: "finished", exitCode: 0 });
    expect(runClose({ exitCode: 3 })).toEqual({ state: "failed", exitCode: 3 });
    expect(runClose({ state: "failed" })).toEqual({ state: "failed", exitCode: 1 });
    expect(runClose({ state: "pruned", exitCode: 0 })).toEqual({ state: "pruned", exitCode: 0 });
  });

  it("refuses bad options with a TrackError naming the value, run left open", async () => {
    const dir = tempDir();
    const run = await init({ project: "p", dir, systemInterval: 0, reinit: "create_new" });
    const bad: [unknown, RegExp][] = [
      [{ state: "stopped" }, /state must be one of finished, failed, pruned, got "stopped"/],
      [{ state: "finished", exitCode: 1 }, /"finished" needs exit code 0, got 1/],
      [{ state: "failed", exitCode: 0 }, /"failed" needs a non-zero exit code/],
      [1.5, /exit code must be an integer, got 1.5/],
      [{ stat: "pruned" }, /unknown option "stat"/],
    ];
    for (const [how, msg] of bad) {
      expect(() => run.finish(how as never)).toThrow(msg);
    }
    expect(() => run.finish({ state: "x" as never })).toThrow(TrackError);
    expect(run.finished).toBe(false);
    await run.finish({ state: "pruned" });
    expect((await stored(dir, run.id))?.state).toBe("pruned");
  });

  it("an exit during finish({ state: 'pruned' }) still closes the run pruned", () => {
    const dir = tempDir();
    // The child starts finish and exits at once: whichever write closes the run (finish's own
    // or the exit hook's synchronous one), it closes it as finish was asked to.
    const script = `
      import { init } from ${JSON.stringify(join(import.meta.dirname, "index.ts"))};
      const run = await init({ project: "p", dir: ${JSON.stringify(dir)}, id: "kid", systemInterval: 0 });
      run.log({ loss: 1 });
      void run.finish({ state: "pruned" });
      process.exit(0);
    `;
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        encoding: "utf8",
        timeout: 30_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    return stored(dir, "kid").then((rec) => {
      expect(rec).toMatchObject({ state: "pruned", exitCode: 0 });
    });
  });
});
