/**
 * Real `amltk worker` processes for the queue executor's tests and bench, run from source
 * (`node --import tsx test/e2e/queue-worker-cli.ts worker ...`: the command `bin/amltk.js` runs from
 * `dist/`). Each worker leads its own process group; {@link stopAllWorkers} (call it in
 * `afterEach`/`afterAll`) SIGKILLs every group still alive, and the trials' own processes end
 * themselves when their worker dies (`parent-watch.ts`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "test", "e2e", "queue-worker-cli.ts");

/** Options of {@link startWorker}: the `amltk worker` flags (seconds) and the process's env. */
export interface WorkerProcOptions {
  concurrency?: number;
  allow?: string[];
  grace?: number;
  lockSeconds?: number;
  stalledInterval?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The CLI script to run: default the source entry; `bin/amltk.js` runs the build. */
  cli?: string;
}

/** A running `amltk worker` process. */
export interface WorkerProc {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Its stdout and stderr so far. */
  output(): string;
  /** Resolves with how it exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` to the worker process itself (not its group). */
  signal(signal: NodeJS.Signals): void;
}

const live = new Set<WorkerProc>();

/** Starts `amltk worker` on `url`/`queue` and resolves once it printed its ready line. */
export async function startWorker(
  url: string,
  queue: string,
  opts: WorkerProcOptions = {},
): Promise<WorkerProc> {
  const cli = opts.cli ?? CLI;
  // The source entry needs tsx; the built bin runs as a user runs it.
  const node = cli === CLI ? ["--import", "tsx", CLI] : [cli];
  const args = [...node, "worker", "--redis", url, "--queue", queue];
  args.push("--concurrency", String(opts.concurrency ?? 1));
  for (const dir of opts.allow ?? [ROOT]) args.push("--allow", dir);
  args.push("--grace", String(opts.grace ?? 5));
  args.push("--lock-seconds", String(opts.lockSeconds ?? 2));
  args.push("--stalled-interval", String(opts.stalledInterval ?? 1));
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal })),
  );
  const proc: WorkerProc = {
    child,
    pid: child.pid as number,
    output: () => out,
    exited,
    signal: (s) => {
      try {
        process.kill(child.pid as number, s);
      } catch {
        // gone
      }
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error(`worker not ready in 30 s:\n${out}`)),
      30_000,
    );
    const check = () => {
      if (/ready: queue/.test(out)) {
        clearTimeout(deadline);
        child.stdout?.off("data", check);
        resolve();
      }
    };
    child.stdout?.on("data", check);
    void exited.then(({ code, signal }) => {
      clearTimeout(deadline);
      reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
  return proc;
}

/** SIGKILLs every worker process group still alive and waits for them to exit. */
export async function stopAllWorkers(): Promise<void> {
  const procs = [...live];
  for (const p of procs) {
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  await Promise.all(procs.map((p) => p.exited));
}

process.once("exit", () => {
  for (const p of live) {
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});
