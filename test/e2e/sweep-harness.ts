/**
 * What the durable-sweep tests share: drivers (`sweep-driver.ts`) and queue workers
 * (`sweep-queue-worker.ts`) started in their own process groups, killed with SIGKILL on cue,
 * and always cleaned up; the workers' evaluation log; and the store's account of a sweep,
 * checked against every promise a resumed sweep makes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { openStore } from "../../src/store/open-store.js";

const DRIVER = fileURLToPath(new URL("./sweep-driver.ts", import.meta.url));
const WORKER = fileURLToPath(new URL("./sweep-queue-worker.ts", import.meta.url));

/** The arguments of `sweep-driver.ts` (besides `dir` and `workers`). */
export interface DriverArgs {
  name: string;
  optimizer: "tpe" | "nsga2" | "random";
  maxTrials: number;
  killAfterAsks?: number;
  killBeforeTell?: number;
  redis?: string;
  postgres?: string;
}

/** A seeded draw in [lo, hi], the n-th of a run with `seed`. */
export function draw(seed: number, n: number, lo: number, hi: number): number {
  const h = Math.imul(seed ^ Math.imul(n + 1, 0x9e3779b1), 0x85ebca6b) >>> 0;
  return lo + (h % (hi - lo + 1));
}

/** Whether `pid` is alive (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** How a child ended. */
export function ended(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
}

/** A child with its stdout lines collected; `waitFor` resolves once `line` was printed. */
interface Started {
  child: ChildProcess;
  lines: string[];
  waitFor(line: string): Promise<void>;
}

/** One test's temp folder, children and evaluation log. */
export class SweepHarness {
  readonly dir = mkdtempSync(join(tmpdir(), "amltk-sweep-kill-"));
  readonly #children: ChildProcess[] = [];

  constructor(
    readonly workers: number,
    readonly trialMs: number,
  ) {}

  #start(file: string, argv: string[]): Started {
    const child = spawn(process.execPath, ["--import", "tsx", file, ...argv], {
      detached: true,
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        ...process.env,
        AMLTK_SWEEP_LOG: join(this.dir, "evaluations.log"),
        AMLTK_SWEEP_TRIAL_MS: String(this.trialMs),
      },
    });
    this.#children.push(child);
    const lines: string[] = [];
    let rest = "";
    const waiters: { line: string; resolve: () => void }[] = [];
    child.stdout?.on("data", (b: Buffer) => {
      const parts = (rest + b.toString()).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
      for (const w of waiters) if (parts.includes(w.line)) w.resolve();
    });
    const waitFor = (line: string) =>
      new Promise<void>((resolve, reject) => {
        if (lines.includes(line)) return resolve();
        waiters.push({ line, resolve });
        child.once("exit", () =>
          reject(new Error(`${file} ended before "${line}":\n${lines.join("\n")}`)),
        );
      });
    return { child, lines, waitFor };
  }

  /** Starts a driver. */
  driver(args: DriverArgs): Started {
    return this.#start(DRIVER, [JSON.stringify({ dir: this.dir, workers: this.workers, ...args })]);
  }

  /** Starts a queue worker on `redis` and waits until it listens. */
  async queueWorker(redis: string): Promise<ChildProcess> {
    const w = this.#start(WORKER, [redis]);
    await w.waitFor("ready");
    return w.child;
  }

  /** Runs a driver to its end; returns its `done` summary. */
  async runToEnd(args: DriverArgs): Promise<Record<string, unknown>> {
    const { child, lines } = this.driver(args);
    const end = await ended(child);
    expect(end, `driver output:\n${lines.join("\n")}`).toEqual({ code: 0, signal: null });
    const done = lines.find((l) => l.startsWith("done "));
    return JSON.parse((done as string).slice(5));
  }

  /** Kills a driver with SIGKILL once it printed `told <n>`. */
  async killAfterTold(args: DriverArgs, n: number): Promise<void> {
    const { child, waitFor } = this.driver(args);
    await waitFor(`told ${n}`);
    await killGroup(child);
  }

  /** `<pid> <trial>` of each evaluation the workers started. */
  evaluations(): { pid: number; trial: string }[] {
    return this.#log()
      .filter((l) => l.length === 2)
      .map(([pid, trial]) => ({ pid: Number(pid), trial: trial as string }));
  }

  /** Names of the trials whose evaluation finished. */
  finishedEvaluations(): string[] {
    return this.#log()
      .filter((l) => l.length === 3)
      .map((l) => l[1] as string);
  }

  /** Evaluations started and not finished (running, or cut short). */
  running(): { pid: number; trial: string }[] {
    const done = new Set(this.finishedEvaluations());
    return this.evaluations().filter((e) => !done.has(e.trial));
  }

  #log(): string[][] {
    const log = join(this.dir, "evaluations.log");
    if (!existsSync(log)) return [];
    return readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" "));
  }

  /**
   * The store's account of the sweep: every trial asked once (the optimizer's names, each
   * once), none left running, each told, none evaluated twice, a finished one evaluated, any
   * other crashed; the sweep's record finished. Returns the crashed ones. `target`: the store
   * (a `postgres://` URL), when not the SQLite store in the test's folder.
   */
  async checkStore(
    name: string,
    maxTrials: number,
    target: string = this.dir,
  ): Promise<{ crashed: string[] }> {
    const store = await openStore(target);
    try {
      const { runs } = await store.listRuns({ project: name, group: name });
      const trials = runs.filter((r) => r.jobType === "trial");
      const names = trials.map((r) => r.name).sort();
      expect(names).toEqual(
        Array.from({ length: maxTrials }, (_, i) => `trial-${String(i + 1).padStart(4, "0")}`),
      );
      expect(trials.filter((r) => r.state === "running").map((r) => r.name)).toEqual([]);
      expect(runs.find((r) => r.jobType === "sweep")).toMatchObject({
        state: "finished",
        summary: { asked: maxTrials, told: maxTrials },
      });
      for (const t of trials)
        expect((t.summary._sweep as { report?: string }).report).toBeTypeOf("string");
      const evaluated = this.evaluations().map((e) => e.trial);
      expect(evaluated.length, `evaluated twice: ${evaluated}`).toBe(new Set(evaluated).size);
      for (const e of evaluated) expect(names).toContain(e);
      for (const t of trials) {
        if (t.state === "finished") expect(evaluated).toContain(t.name);
        else expect(t.state).toBe("crashed");
      }
      return { crashed: trials.filter((t) => t.state === "crashed").map((t) => t.name) };
    } finally {
      await store.close();
    }
  }

  /** Kills every child still running (and workers they left), removes the folder. */
  cleanup(): void {
    for (const c of this.#children.splice(0))
      if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(-c.pid, "SIGKILL");
    for (const { pid } of this.evaluations()) if (alive(pid)) process.kill(pid, "SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** SIGKILLs a child's process group and waits for it to end. */
export async function killGroup(child: ChildProcess): Promise<void> {
  process.kill(-(child.pid as number), "SIGKILL");
  expect((await ended(child)).signal).toBe("SIGKILL");
}
