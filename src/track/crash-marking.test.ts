/**
 * A run whose process died is marked crashed by the next `init` or by a watching server, not
 * only when some reader lists runs; and a run whose pid now belongs to another process (PID
 * reuse) is crashed too. Each state is read with plain SQL on a read-only connection, which
 * reaps nothing itself.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { hostname } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { expect, it } from "vitest";
import { skipBecause } from "../../test/skip.js";
import { type Subscriber, Watcher } from "../server/watcher.js";
import { processStartToken } from "../store/owner.js";
import { SqliteStore } from "../store/sqlite/index.js";
import { init } from "./init.js";
import { processHarness } from "./process.test-helpers.js";

const logger = join(import.meta.dirname, "test-fixtures", "logger.ts");
const { kids, cleanups, tmp } = processHarness("amltk-crash-");

/** The run's state as stored, read without any store code (nothing reaped on the way). */
function storedState(dir: string, id: string): string | undefined {
  const db = new Database(join(dir, "amltk.db"), { readonly: true });
  try {
    return (db.prepare("SELECT state FROM runs WHERE id = ?").get(id) as { state: string })?.state;
  } finally {
    db.close();
  }
}

/** Starts a writer that logs until killed; resolves after its first flush. */
async function writer(dir: string, id: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, ["--import", "tsx", logger, dir, id, "forever"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  kids.push(p);
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on("data", (b: Buffer) => b.toString().includes("flushed") && resolve());
    p.once("exit", () => reject(new Error("writer exited before its first flush")));
  });
  return p;
}

async function killed(p: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => p.once("exit", resolve));
  p.kill("SIGKILL");
  await gone;
}

it("the next init in any process marks a SIGKILLed writer's run crashed", async () => {
  const dir = tmp();
  await killed(await writer(dir, "victim"));
  expect(storedState(dir, "victim")).toBe("running");
  const run = await init({ dir, project: "next", systemInterval: 0 });
  await run.finish();
  expect(storedState(dir, "victim")).toBe("crashed");
});

it("a watching server marks a SIGKILLed writer's run crashed and streams it", async () => {
  const dir = tmp();
  const p = await writer(dir, "victim");
  const store = await SqliteStore.open(dir);
  cleanups.push(() => store.close());
  const watcher = new Watcher(store, 50);
  const states: string[] = [];
  const sub: Subscriber = {
    send(event, data) {
      if (event === "run") states.push((data as { run: { state: string } }).run.state);
    },
  };
  cleanups.push(watcher.subscribe(sub));
  await expect.poll(() => states, { timeout: 10_000 }).toContain("running");
  await killed(p);
  // Nothing writes to the store after the kill: only the watcher's own reaping can tell.
  await expect.poll(() => states.at(-1), { timeout: 10_000 }).toBe("crashed");
  expect(storedState(dir, "victim")).toBe("crashed");
});

/** Telling a reused pid from its first owner needs start times from /proc (Linux only). */
const noProc = skipBecause(
  processStartToken(process.pid) === null,
  "pid reuse at the next init",
  "no /proc/<pid>/stat here (Linux only): a reused pid cannot be told from its owner",
);

it.skipIf(noProc)(
  "a run whose pid was reused by another process is crashed at the next init",
  async () => {
    const dir = tmp();
    // A live process unrelated to the runs below, holding the pid their owner had.
    const other = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], {
      stdio: "ignore",
    });
    kids.push(other);
    const pid = other.pid!;
    await expect.poll(() => processStartToken(pid)).not.toBeNull();
    const real = processStartToken(pid)!;
    const ticks = Number(real.slice(real.lastIndexOf(":") + 1));
    const seed = SqliteStore.openSync(dir);
    const base = { project: "p", createdAt: Date.now(), pid, host: hostname() };
    // The owner started at another time than the process holding its pid now.
    seed.createRunSync({
      ...base,
      id: "reused",
      name: "reused",
      ownerStart: `${real.slice(0, real.lastIndexOf(":"))}:${ticks - 7}`,
    });
    // Control: the record names that very process, which is alive.
    seed.createRunSync({ ...base, id: "owned", name: "owned", ownerStart: processStartToken(pid) });
    seed.closeSync();

    const run = await init({ dir, project: "next", systemInterval: 0 });
    await run.finish();
    expect(storedState(dir, "reused")).toBe("crashed");
    expect(storedState(dir, "owned")).toBe("running");
  },
);
