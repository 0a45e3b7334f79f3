/**
 * Child processes of the fault suite: the writer, the server (`amltk ui`) and `amltk sync`, all
 * run from source through tsx. Every process is started inside a {@link ProcGroup}, which kills
 * and reaps whatever is still alive, so a failed assertion never leaves a writer logging or a
 * stopped server holding a port. Waiting is always for an event (a line of output, an exit)
 * with a deadline, never a sleep.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const WRITER_SCRIPT = join(here, "fault-writer.ts");
export const CLI_SCRIPT = join(here, "fault-cli.ts");
/**
 * Rows the writer logs between two progress lines: under SIGKILL it may have logged up to this
 * many rows more than its last line says. Small, so a batch takes a fraction of a millisecond.
 */
export const BATCH = 25;

/** How a child ended, as Node reports it. */
export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A line of the writer's progress: `rows` rows had returned from `run.log` at `at` (epoch ms). */
export interface Progress {
  rows: number;
  at: number;
}

/** A child process with its output kept (for assertions and failure messages). */
export class Proc {
  readonly child: ChildProcess;
  readonly ended: Promise<Ended>;
  /** stdout and stderr interleaved, minus the writer's progress lines. */
  output = "";
  /** The writer's progress lines, in order. */
  readonly progress: Progress[] = [];
  #partial = "";
  #listeners = new Set<() => void>();
  #done: Ended | undefined;

  constructor(
    readonly name: string,
    script: string,
    args: readonly string[],
  ) {
    this.child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Decoded as streams, so a character split across two reads is not mangled.
    this.child.stdout!.setEncoding("utf8").on("data", (s: string) => this.#onStdout(s));
    this.child.stderr!.setEncoding("utf8").on("data", (s: string) => {
      this.output += s;
      this.#notify();
    });
    // "close", not "exit": by then every byte the child wrote to its pipes has been read.
    this.ended = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        this.#done = { code, signal };
        this.#notify();
        resolve(this.#done);
      });
      this.child.on("error", (e) => {
        this.output += `spawn error: ${e.message}\n`;
      });
    });
  }

  get alive(): boolean {
    return this.#done === undefined;
  }

  /** Rows the writer has reported as logged (0 before its first line). */
  get rows(): number {
    return this.progress.at(-1)?.rows ?? 0;
  }

  /**
   * Resolves with `check()`'s first non-undefined value, checked after every piece of output;
   * rejects when the process ends first or `timeoutMs` passes, with what it printed.
   */
  waitFor<T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (fn: () => void) => {
        clearTimeout(timer);
        this.#listeners.delete(test);
        fn();
      };
      const test = () => {
        const v = check();
        if (v !== undefined) finish(() => resolve(v));
        else if (this.#done) {
          const how = `code ${this.#done.code}, signal ${this.#done.signal}`;
          finish(() =>
            reject(new Error(`${this.name} ended (${how}) before ${what}:\n${this.tail()}`)),
          );
        }
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms:\n${this.tail()}`)),
          ),
        timeoutMs,
      );
      this.#listeners.add(test);
      test();
    });
  }

  /**
   * Waits until the writer reports rows logged at or after `time` (epoch ms, its clock and
   * ours being the same machine's); resolves with its row count then.
   */
  waitLoggedAt(time: number, timeoutMs = 20_000): Promise<number> {
    const when = new Date(time).toISOString();
    return this.waitFor(
      `rows logged at ${when}`,
      () => ((this.progress.at(-1)?.at ?? 0) >= time ? this.rows : undefined),
      timeoutMs,
    );
  }

  /** Waits for the writer's first report (its run is open and logging); resolves with its time. */
  async started(timeoutMs = 20_000): Promise<number> {
    await this.waitFor("a first logged row", () => this.progress[0], timeoutMs);
    return this.progress[0].at;
  }

  /** When the writer last reported (epoch ms). */
  get lastAt(): number {
    return this.progress.at(-1)?.at ?? 0;
  }

  /** Sends `signal` if the process is still alive. */
  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /**
   * Waits for the end; past `timeoutMs` kills it with SIGKILL and resolves `undefined`, so a
   * process that ignores a signal is a reported result, never a hung test.
   */
  async endWithin(timeoutMs: number): Promise<Ended | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    const out = await Promise.race([this.ended, late]);
    clearTimeout(timer);
    if (out === undefined) {
      this.child.kill("SIGCONT");
      this.child.kill("SIGKILL");
      await this.ended;
    }
    return out;
  }

  /** The last lines of output, for error messages. */
  tail(chars = 2_000): string {
    return this.output.length > chars ? `...${this.output.slice(-chars)}` : this.output;
  }

  #onStdout(text: string): void {
    const lines = (this.#partial + text).split("\n");
    this.#partial = lines.pop()!;
    for (const line of lines) {
      const m = /^p (\d+) (\d+)$/.exec(line);
      if (m) this.progress.push({ rows: Number(m[1]), at: Number(m[2]) });
      else this.output += `${line}\n`;
    }
    this.#notify();
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }
}

/** Every process started and not yet reaped, across groups: see {@link reapAll}. */
const everyProc = new Set<Proc>();

/** Kills SIGCONT + SIGKILL and reaps `procs` that are still alive. */
async function reap(procs: Iterable<Proc>): Promise<void> {
  const live = [...procs].filter((p) => p.alive);
  for (const p of live) {
    p.child.kill("SIGCONT");
    p.child.kill("SIGKILL");
  }
  await Promise.all(live.map((p) => p.ended));
}

/**
 * Kills and reaps every process any group started: for a test's `afterEach`, in case a test
 * timed out before its scenario's own cleanup ran.
 */
export async function reapAll(): Promise<void> {
  await reap(everyProc);
  everyProc.clear();
}

// Last resort when the test process itself ends: no writer or server may outlive it.
process.on("exit", () => {
  for (const p of everyProc) if (p.alive) p.child.kill("SIGKILL");
});

/** The processes of one scenario; `close` kills and reaps every one still alive. */
export class ProcGroup {
  readonly #procs = new Set<Proc>();

  start(name: string, script: string, args: readonly string[]): Proc {
    const p = new Proc(name, script, args);
    this.#procs.add(p);
    everyProc.add(p);
    void p.ended.then(() => everyProc.delete(p));
    return p;
  }

  /** The writer: logs into `dir` (offline) or through `baseUrl` (online) until killed. */
  writer(mode: "offline" | "online", dir: string, runId: string, baseUrl?: string): Proc {
    const args = [mode, dir, runId, String(BATCH), ...(baseUrl ? [baseUrl] : [])];
    return this.start("writer", WRITER_SCRIPT, args);
  }

  /** `amltk ui --no-auth` over `dir` on `port`; resolves once it listens, with its URL. */
  async server(dir: string, port: number): Promise<{ proc: Proc; url: string; port: number }> {
    const args = ["ui", "--no-auth", "--port", String(port), "--dir", dir];
    const proc = this.start("server", CLI_SCRIPT, args);
    const url = await proc.waitFor(
      "the server's URL",
      () => /amltk ui: (http:\/\/\S+)/.exec(proc.output)?.[1],
      20_000,
    );
    return { proc, url, port: Number(new URL(url).port) };
  }

  /** Runs `amltk sync --dir dir` to its end (bounded). */
  async sync(dir: string): Promise<{ code: number | null; output: string }> {
    const proc = this.start("sync", CLI_SCRIPT, ["sync", "--dir", dir, "--timeout", "20"]);
    const ended = await proc.endWithin(30_000);
    return { code: ended ? ended.code : null, output: proc.output };
  }

  /** Kills (SIGCONT first, for a stopped server) and reaps every process still alive. */
  async close(): Promise<void> {
    await reap(this.#procs);
    this.#procs.clear();
  }
}

/** A TCP port that was free a moment ago (for a server that must not be listening yet). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
