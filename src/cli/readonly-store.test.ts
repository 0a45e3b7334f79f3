/**
 * Reading commands on a store that cannot be written, as a real fault: this process makes the
 * store, then makes its file and folder read-only, and the commands run in a child process
 * that cannot write them. When the tests run as root (CI), root writes through file modes, so
 * the child runs as root without the capabilities that let it (see `asReader`).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { rowsToBatch } from "../store/history-batch.js";
import { SqliteStore } from "../store/sqlite/index.js";
import { tempDirs } from "../store/sqlite/sqlite.test-helpers.js";

const tmp = tempDirs("amltk-ro-");
const CLI = join(import.meta.dirname, "test-fixtures/amltk.ts");
const READ_COMMANDS = join(import.meta.dirname, "test-fixtures/read-commands.ts");

/**
 * The command line that runs `node args` in a process that file modes bind. As root (CI) that
 * is root without the capabilities that bypass them: `setpriv` drops CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH and CAP_FOWNER from the bounding set, so the exec'd node cannot get them.
 * (Running as `nobody` instead fails wherever the checkout sits under a folder only root may
 * enter, as a `mktemp -d` clone does.) Otherwise as ourselves, for whom the modes are enough.
 */
function asReader(args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [process.execPath, args];
  const dropped = "-dac_override,-dac_read_search,-fowner";
  return ["setpriv", ["--bounding-set", dropped, "--", process.execPath, ...args]];
}

const children: ChildProcess[] = [];
const readOnly: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
  // Writable again, so the temp folders can be removed.
  for (const d of readOnly.splice(0)) chmodSync(d, 0o755);
});

interface ReadResults {
  write: { name?: string; code?: string; message?: string; written?: boolean };
  list: { out: string; error?: string };
  show: { out: string; error?: string };
  export: { out: string; error?: string };
}

/** A write, then `runs list/show/export`, as the reader (test-fixtures/read-commands.ts). */
function readCommands(dir: string): ReadResults {
  const r = spawnSync(...asReader(["--import", "tsx", READ_COMMANDS, dir]), {
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ReadResults;
}

/** A pid that is certainly dead: a child that already exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid!;
}

/**
 * A store with a finished run `done` (3 history rows) and a `running` run whose process is
 * dead (a reader would mark it crashed: a write), then read-only file modes. `keepWal`
 * leaves a writer open, so `-wal` and `-shm` exist (a writer that was killed); otherwise the
 * store was closed cleanly and the reader cannot create the `-shm` SQLite reads WAL with.
 */
function readOnlyStore(keepWal: boolean): { dir: string; writer?: SqliteStore } {
  const dir = tmp();
  const store = SqliteStore.openSync(dir);
  store.createRunSync({ id: "done", project: "p", name: "done", createdAt: 1 });
  store.writeRunSync("done", {
    history: [
      rowsToBatch(
        [0, 1, 2].map((i) => ({
          step: i,
          runtime: i,
          timestamp: 1_700_000_000 + i,
          values: { loss: 3 - i },
        })),
      ),
    ],
    fresh: true,
    patch: { state: "finished", exitCode: 0 },
  });
  store.createRunSync({
    id: "dead",
    project: "p",
    name: "dead",
    createdAt: 2,
    pid: deadPid(),
    host: hostname(),
  });
  if (!keepWal) store.closeSync();
  expect(existsSync(join(dir, "amltk.db-wal"))).toBe(keepWal);
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o444);
  chmodSync(dir, 0o555);
  readOnly.push(dir);
  return { dir, writer: keepWal ? store : undefined };
}

function digest(dir: string): string {
  return createHash("sha256")
    .update(readFileSync(join(dir, "amltk.db")))
    .digest("hex");
}

it.each([
  ["closed cleanly (no -wal, no -shm)", false],
  ["left with its -wal and -shm", true],
])("runs list/show/export read a store %s that cannot be written", (_, keepWal) => {
  const { dir, writer } = readOnlyStore(keepWal);
  try {
    const before = digest(dir);
    const r = readCommands(dir);
    // The fault is real: a write from the same user fails, typed, naming the file.
    expect(r.write).toMatchObject({
      name: "StoreError",
      code: "readonly",
      message: expect.stringContaining(join(dir, "amltk.db")),
    });
    expect(r.list.error).toBeUndefined();
    expect(r.list.out).toMatch(/done\s+p\s+done\s+finished\s+0/);
    expect(r.list.out).toMatch(/dead\s+p\s+dead\s+running/); // could not be marked crashed
    expect(r.show.error).toBeUndefined();
    expect(JSON.parse(r.show.out)).toMatchObject({ id: "done", historyKeys: { loss: 3 } });
    expect(r.export.error).toBeUndefined();
    expect(JSON.parse(r.export.out).map((row: { loss: number }) => row.loss)).toEqual([3, 2, 1]);

    expect(digest(dir)).toBe(before);
  } finally {
    writer?.closeSync();
  }
});

it("amltk ui starts and serves runs from a store that cannot be written", async () => {
  const { dir } = readOnlyStore(false);
  const child = spawn(...asReader(["--import", "tsx", CLI, "ui", "--dir", dir, "--port", "0"]), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let err = "";
  child.stderr!.on("data", (b) => {
    err += b;
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const deadline = setTimeout(
      () => reject(new Error(`no URL within 60 s: ${out}${err}`)),
      60_000,
    );
    child.stdout!.on("data", (b) => {
      out += b;
      const m = /amltk ui: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(deadline);
        resolve(m[1]!);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(deadline);
      reject(new Error(`amltk ui exited with ${code}: ${out}${err}`));
    });
  });
  const res = await fetch(`${url}/api/runs?project=p`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { runs: { id: string; state: string }[] };
  expect(body.runs.map((r) => r.id).sort()).toEqual(["dead", "done"]);
  const hist = await fetch(`${url}/api/runs/done/history?key=loss`);
  expect(hist.status).toBe(200);
  expect(JSON.stringify(await hist.json())).toContain("loss");
});

it("a store that cannot be read either: a clear error naming the file", () => {
  const { dir } = readOnlyStore(false);
  chmodSync(join(dir, "amltk.db"), 0o000);
  const r = spawnSync(...asReader(["--import", "tsx", CLI, "runs", "list", "--dir", dir]), {
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`store ${join(dir, "amltk.db")} can be opened neither for writing`);
  expect(r.stderr).toContain("copy its folder somewhere writable");
});
