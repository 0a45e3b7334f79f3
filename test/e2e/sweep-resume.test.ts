/**
 * A durable sweep's driver killed with SIGKILL and started again with the same name: every
 * trial asked once, none evaluated twice, none lost, none left running, checked against the
 * SQLite store and a log of evaluations the workers write. Real driver and worker processes
 * (the processes executor), real SIGKILL at seeded points: right after an ask is journaled
 * and before its call is submitted, and mid-sweep with results in flight. NSGA-II resumed
 * mid-generation keeps counting the same generations. `AMLTK_FAULT_SEED` replays a run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { skipBecause } from "../skip.js";

const DRIVER = fileURLToPath(new URL("./sweep-driver.ts", import.meta.url));
const SEED = Number(process.env.AMLTK_FAULT_SEED ?? Date.now() % 100_000);
console.log(`sweep-resume: AMLTK_FAULT_SEED=${SEED}`);

/** A seeded draw in [lo, hi] (the n-th of this run). */
function draw(n: number, lo: number, hi: number): number {
  const h = Math.imul(SEED ^ Math.imul(n + 1, 0x9e3779b1), 0x85ebca6b) >>> 0;
  return lo + (h % (hi - lo + 1));
}

const children: ChildProcess[] = [];
let dir: string | undefined;

/** Whether `pid` is alive (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** `<pid> <trial>` lines the workers wrote. */
function evaluations(): { pid: number; trial: string }[] {
  const log = join(dir as string, "evaluations.log");
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [pid, trial] = l.split(" ");
      return { pid: Number(pid), trial: trial as string };
    });
}

afterEach(() => {
  // Drivers run in their own process group; workers in theirs (and end themselves once their
  // driver is gone): kill every one still here, whatever the test's outcome.
  for (const c of children.splice(0))
    if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(-c.pid, "SIGKILL");
  if (dir) for (const { pid } of evaluations()) if (alive(pid)) process.kill(pid, "SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

interface Args {
  name: string;
  optimizer: "tpe" | "nsga2" | "random";
  maxTrials: number;
  killAfterAsks?: number;
}

/** Starts a driver; `lines` collects its stdout lines. */
function startDriver(args: Args, trialMs: number): { child: ChildProcess; lines: string[] } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", DRIVER, JSON.stringify({ dir, workers: 2, ...args })],
    {
      detached: true,
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        ...process.env,
        AMLTK_SWEEP_LOG: join(dir as string, "evaluations.log"),
        AMLTK_SWEEP_TRIAL_MS: String(trialMs),
      },
    },
  );
  children.push(child);
  const lines: string[] = [];
  let rest = "";
  child.stdout?.on("data", (b: Buffer) => {
    const parts = (rest + b.toString()).split("\n");
    rest = parts.pop() ?? "";
    lines.push(...parts);
  });
  return { child, lines };
}

function ended(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
}

/** Runs a driver to its end; returns its `done` summary. */
async function runToEnd(args: Args, trialMs: number): Promise<Record<string, unknown>> {
  const { child, lines } = startDriver(args, trialMs);
  const end = await ended(child);
  expect(end, `driver output:\n${lines.join("\n")}`).toEqual({ code: 0, signal: null });
  const done = lines.find((l) => l.startsWith("done "));
  return JSON.parse((done as string).slice(5));
}

/** Kills the driver with SIGKILL once it printed `told <n>`. */
async function killAfterTold(args: Args, trialMs: number, n: number): Promise<void> {
  const { child, lines } = startDriver(args, trialMs);
  await new Promise<void>((resolve, reject) => {
    const check = () => lines.some((l) => l === `told ${n}`) && resolve();
    child.stdout?.on("data", () => setImmediate(check));
    child.once("exit", () =>
      reject(new Error(`driver ended before told ${n}:\n${lines.join("\n")}`)),
    );
  });
  process.kill(-(child.pid as number), "SIGKILL");
  expect((await ended(child)).signal).toBe("SIGKILL");
}

/** The store's account of the sweep: every check a resumed sweep must pass. */
async function checkStore(name: string, maxTrials: number): Promise<{ crashed: string[] }> {
  const store = await SqliteStore.open(dir as string);
  try {
    const { runs } = await store.listRuns({ project: name, group: name });
    const trials = runs.filter((r) => r.jobType === "trial");
    const names = trials.map((r) => r.name).sort();
    // Every trial asked once: the names the optimizer gives, each once, no more than asked.
    expect(names).toEqual(
      Array.from({ length: maxTrials }, (_, i) => `trial-${String(i + 1).padStart(4, "0")}`),
    );
    // None left running; the sweep's record is finished and counts them all.
    expect(trials.filter((r) => r.state === "running").map((r) => r.name)).toEqual([]);
    expect(runs.find((r) => r.jobType === "sweep")).toMatchObject({
      state: "finished",
      summary: { asked: maxTrials, told: maxTrials },
    });
    // Each has a report; none evaluated twice; every evaluated trial is one of the sweep's.
    for (const t of trials)
      expect((t.summary._sweep as { report?: string }).report).toBeTypeOf("string");
    const evaluated = evaluations().map((e) => e.trial);
    expect(evaluated.length).toBe(new Set(evaluated).size);
    for (const e of evaluated) expect(names).toContain(e);
    // A finished trial ran; one that never ran can only be crashed (its driver died first).
    for (const t of trials) {
      if (t.state === "finished") expect(evaluated).toContain(t.name);
      else expect(t.state).toBe("crashed");
    }
    return { crashed: trials.filter((t) => t.state === "crashed").map((t) => t.name) };
  } finally {
    await store.close();
  }
}

const notLinux = skipBecause(
  process.platform !== "linux",
  "durable sweep kill tests",
  `written for Linux (process groups, /proc); this is ${process.platform}`,
);

describe.skipIf(notLinux)("a durable sweep's driver killed with SIGKILL", () => {
  it("after an ask is journaled, before its call is submitted: resumed, that trial crashed, never run", async () => {
    dir = mkdtempSync(join(tmpdir(), "amltk-sweep-kill-"));
    const k = draw(0, 1, 10);
    const { child } = startDriver(
      { name: "journal", optimizer: "tpe", maxTrials: 16, killAfterAsks: k },
      5,
    );
    expect((await ended(child)).signal).toBe("SIGKILL");
    const done = await runToEnd({ name: "journal", optimizer: "tpe", maxTrials: 16 }, 5);
    expect(done).toMatchObject({ exit: "EXHAUSTED", history: 16 });
    const { crashed } = await checkStore("journal", 16);
    // The trial journaled last before the kill never reached a worker, and is crashed.
    const evaluated = new Set(evaluations().map((e) => e.trial));
    const neverRan = crashed.filter((t) => !evaluated.has(t));
    expect(neverRan.length, `seed ${SEED}, k ${k}`).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("mid-sweep, with results in flight: resumed, every trial accounted for once", async () => {
    dir = mkdtempSync(join(tmpdir(), "amltk-sweep-kill-"));
    const n = draw(1, 2, 12);
    await killAfterTold({ name: "mid", optimizer: "tpe", maxTrials: 20 }, 30, n);
    const done = await runToEnd({ name: "mid", optimizer: "tpe", maxTrials: 20 }, 30);
    expect(done).toMatchObject({ exit: "EXHAUSTED", history: 20 });
    const { crashed } = await checkStore("mid", 20);
    // Two workers were busy when it died: their trials died with them and are crashed.
    expect(crashed.length, `seed ${SEED}, n ${n}`).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("twice in a row, then resumed: still every trial once", async () => {
    dir = mkdtempSync(join(tmpdir(), "amltk-sweep-kill-"));
    await killAfterTold({ name: "twice", optimizer: "random", maxTrials: 24 }, 10, draw(2, 2, 8));
    await killAfterTold({ name: "twice", optimizer: "random", maxTrials: 24 }, 10, draw(3, 2, 8));
    const done = await runToEnd({ name: "twice", optimizer: "random", maxTrials: 24 }, 10);
    expect(done).toMatchObject({ exit: "EXHAUSTED", history: 24 });
    await checkStore("twice", 24);
  }, 60_000);

  it("NSGA-II mid-generation: the resumed driver keeps the generations of the dead one", async () => {
    dir = mkdtempSync(join(tmpdir(), "amltk-sweep-kill-"));
    // Population 6: killed after 7-16 reports is inside generation 1 or 2.
    await killAfterTold({ name: "nsga", optimizer: "nsga2", maxTrials: 30 }, 10, draw(4, 7, 16));
    const done = await runToEnd({ name: "nsga", optimizer: "nsga2", maxTrials: 30 }, 10);
    expect(done).toMatchObject({ exit: "EXHAUSTED", history: 30 });
    // One generation per 6 successful children, counted over both drivers: the rebuilt
    // optimizer went on from the dead driver's generation and children, not from scratch.
    const successes = done.successes as number;
    expect(done.generation).toBe(Math.floor(successes / 6));
    await checkStore("nsga", 30);
  }, 60_000);
});
