/**
 * The fault scenarios (issue 10), shared by `test/e2e/faults-*.test.ts` and `bench/faults.ts`.
 *
 * A writer process logs rows (`fault-writer.ts`) and is killed with a signal after logging for
 * a seeded time; online, the server (`amltk ui`) is down from the start, killed (SIGKILL) and
 * restarted, or paused (SIGSTOP) while the writer runs, and `amltk sync` runs after the writer
 * died. The seed also picks whether the server comes back before or after the writer's death.
 * Then the store is counted and {@link judge} lists every broken promise:
 * - offline: every point logged at least 200 ms before the signal was sent is stored;
 * - SIGINT/SIGTERM/SIGHUP: every point logged is stored (online: after `amltk sync`), the run
 *   is `failed` with exit code 130/143/129, and the writer ended by that signal;
 * - online: every point in the spool at the writer's death is on the server after `amltk sync`
 *   (which exits 0), once, and so is the run (its create was spooled before it was sent);
 * - always: nothing stored twice, every stored value is the one logged at its step, and no step
 *   is stored that was never logged.
 */
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "../../src/optim/rng.js";
import {
  countStore,
  firstRows,
  missing,
  type Points,
  readSpool,
  type SpoolCount,
  type StoreCount,
  size,
} from "./fault-count.js";
import { BATCH, type Ended, freePort, type Proc, ProcGroup } from "./fault-processes.js";

/** Where the writer writes and what happens to the server meanwhile. */
export type Fault = "offline" | "down" | "restart" | "pause";
export type KillSignal = "SIGKILL" | "SIGINT" | "SIGTERM" | "SIGHUP";
export const FAULTS: readonly Fault[] = ["offline", "down", "restart", "pause"];
export const SIGNALS: readonly KillSignal[] = ["SIGKILL", "SIGINT", "SIGTERM", "SIGHUP"];
/** The exit code a run records for a clean signal (128 + the signal's number). */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
/** Points logged this long before the kill must be stored offline, even under SIGKILL. */
export const DURABLE_AFTER_MS = 200;

/** What one scenario did and found; `problems` is empty when every promise held. */
export interface FaultResult {
  scenario: string;
  seed: number;
  /** Rows the writer had reported when it was signalled. */
  killAtRows: number;
  /** Points returned from `run.log` (the writer's last report; exact for clean signals). */
  logged: number;
  /** Points logged at least 200 ms before the signal was sent. */
  loggedOld: number;
  /** Online: distinct points in the spool after the writer died (null offline). */
  spooled: number | null;
  /** Online: spool segments whose last line the writer's death cut short (not counted). */
  spoolTorn: number | null;
  /** Distinct points in the store: the local one offline, the server's after sync online. */
  stored: number;
  /** Online: spooled points on the server after sync (null offline). */
  delivered: number | null;
  /** Points that had to be stored (see the module comment). */
  required: number;
  /** Required points not stored. */
  lost: number;
  /** Points logged at least 200 ms before the kill and not stored (a promise offline only). */
  lostOld: number;
  /** Stored points beyond the first at the same (key, step). */
  doubled: number;
  /** Stored points with another value than logged, or at a step never logged. */
  wrong: number;
  writer: Ended | null;
  run: StoreCount["run"];
  sync: { code: number | null; output: string } | null;
  ms: number;
  phases: Record<string, number>;
  /** What the writer printed besides its progress (warnings, errors): its last 1,000 chars. */
  writerOutput: string;
  problems: string[];
}

/** A stable 32-bit hash of the scenario's name, so each scenario draws its own numbers. */
function nameHash(name: string): number {
  let h = 0;
  for (const c of name) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return h;
}

/** What the writer, the spool and the store came to, before judging. */
interface Observed {
  writer: Proc;
  ended: Ended | undefined;
  killAtRows: number;
  signalledAt: number;
  spool: SpoolCount | null;
  store: StoreCount;
  sync: { code: number | null; output: string } | null;
  /** Milliseconds each step took, in order (where the time of a slow scenario goes). */
  phases: Record<string, number>;
}

/** Records how long each named step took since the previous mark. */
function stopwatch(): { mark(name: string): void; phases: Record<string, number> } {
  const phases: Record<string, number> = {};
  let last = Date.now();
  return {
    phases,
    mark(name: string) {
      const now = Date.now();
      phases[name] = now - last;
      last = now;
    },
  };
}

/** The scenario's random choices, all from its seed. */
interface Draws {
  /** A duration in ms, uniform in [low, high] times the scale. */
  ms(low: number, high: number): number;
  coin(): boolean;
}

/**
 * Runs one scenario in a fresh folder under `root` and returns what it found. Never throws for
 * a broken promise (that is a problem in the result); every process it started is reaped.
 * `scale` stretches every logging phase (the bench's longer runs); the draws stay the same.
 */
export async function runScenario(
  fault: Fault,
  signal: KillSignal,
  seed: number,
  root: string,
  scale = 1,
): Promise<FaultResult> {
  const scenario = `${fault}/${signal}`;
  const rng = new Rng((seed ^ nameHash(scenario)) >>> 0);
  const draw: Draws = {
    ms: (low, high) => Math.round(rng.int(low, high) * scale),
    coin: () => rng.next() < 0.5,
  };
  const dir = mkdtempSync(join(root, `${fault}-${signal}-`));
  const runId = `f${nameHash(dir).toString(36)}`;
  const procs = new ProcGroup();
  const t0 = Date.now();
  try {
    const seen =
      fault === "offline"
        ? await offline(procs, draw, dir, runId, signal)
        : await online(procs, draw, fault, dir, runId, signal);
    return judge(scenario, seed, signal, fault !== "offline", seen, Date.now() - t0);
  } catch (e) {
    // A process that never got going (or a timeout): still name the seed that replays it.
    throw new Error(
      `${scenario}: seed ${seed} (replay: AMLTK_FAULT_SEED=${seed}): ${(e as Error).message}`,
    );
  } finally {
    await procs.close();
  }
}

/** Kills the writer and waits (bounded) for it to end. */
async function kill(writer: Proc, signal: KillSignal) {
  const killAtRows = writer.rows;
  const signalledAt = Date.now();
  writer.signal(signal);
  const ended = await writer.endWithin(10_000);
  return { killAtRows, signalledAt, ended };
}

async function offline(
  procs: ProcGroup,
  draw: Draws,
  dir: string,
  runId: string,
  signal: KillSignal,
): Promise<Observed> {
  const sw = stopwatch();
  const writer = procs.writer("offline", dir, runId);
  const start = await writer.started();
  sw.mark("start");
  await writer.waitLoggedAt(start + draw.ms(300, 1_000));
  sw.mark("log");
  const k = await kill(writer, signal);
  sw.mark("kill");
  const store = await countStore(dir, runId);
  sw.mark("count");
  return { writer, ...k, spool: null, store, sync: null, phases: sw.phases };
}

async function online(
  procs: ProcGroup,
  draw: Draws,
  fault: Exclude<Fault, "offline">,
  dir: string,
  runId: string,
  signal: KillSignal,
): Promise<Observed> {
  const sw = stopwatch();
  const clientDir = join(dir, "client");
  const serverDir = join(dir, "server");
  let server = fault === "down" ? undefined : await procs.server(serverDir, 0);
  const port = server?.port ?? (await freePort());
  const writer = procs.writer("online", clientDir, runId, `http://127.0.0.1:${port}`);
  // Each phase lasts a seeded time, measured on the writer's own reports.
  const phase = (low: number, high: number) =>
    writer.waitLoggedAt(writer.lastAt + draw.ms(low, high));
  await writer.started();
  sw.mark("start");
  if (fault === "restart") {
    await phase(100, 500);
    server!.proc.signal("SIGKILL");
    await server!.proc.ended;
    server = undefined;
    await phase(100, 400);
    // Half the seeds restart it while the writer still logs, half only for the sync.
    if (draw.coin()) {
      server = await procs.server(serverDir, port);
      await phase(100, 400);
    }
  } else if (fault === "pause") {
    await phase(100, 500);
    server!.proc.signal("SIGSTOP");
    await phase(300, 700);
    // Half the seeds let the server come back while the writer still logs, half after it died.
    if (draw.coin()) {
      server!.proc.signal("SIGCONT");
      await phase(100, 400);
    }
  } else {
    await phase(300, 1_000);
  }
  sw.mark("log");
  const k = await kill(writer, signal);
  sw.mark("kill");
  const spool = readSpool(clientDir, runId);
  if (fault === "pause") server!.proc.signal("SIGCONT"); // harmless when it runs already
  server ??= await procs.server(serverDir, port);
  sw.mark("server");
  const sync = await procs.sync(clientDir);
  sw.mark("sync");
  // The server's own shutdown (SIGTERM), so it commits and closes its store before counting.
  server.proc.signal("SIGTERM");
  await server.proc.endWithin(10_000);
  sw.mark("stop");
  const store = await countStore(serverDir, runId);
  sw.mark("count");
  return { writer, ...k, spool, store, sync, phases: sw.phases };
}

/** Counts what was owed against what was stored, and lists every broken promise. */
function judge(
  scenario: string,
  seed: number,
  signal: KillSignal,
  isOnline: boolean,
  seen: Observed,
  ms: number,
): FaultResult {
  const { writer, store, spool } = seen;
  const logged = writer.rows;
  const oldRows = rowsLoggedBy(writer, seen.signalledAt - DURABLE_AFTER_MS);
  const clean = signal !== "SIGKILL";
  // What had to be stored: clean signals everything; offline kill -9 what is 200 ms old;
  // online kill -9 what the spool held (the server's earlier acknowledgements are stored).
  const required: Points = clean
    ? firstRows(logged)
    : isOnline
      ? spool!.points
      : firstRows(oldRows);
  // Under SIGKILL the writer may have logged up to one batch past its last report.
  const stepLimit = logged + (clean ? 0 : BATCH);
  const phantom = store.maxStep >= stepLimit ? countAtOrAbove(store.points, stepLimit) : 0;
  const result: FaultResult = {
    scenario,
    seed,
    killAtRows: seen.killAtRows,
    logged: logged * 2,
    loggedOld: oldRows * 2,
    spooled: spool ? size(spool.points) : null,
    spoolTorn: spool ? spool.torn : null,
    stored: size(store.points),
    delivered: spool ? size(spool.points) - missing(spool.points, store.points) : null,
    required: size(required),
    lost: missing(required, store.points),
    lostOld: missing(firstRows(oldRows), store.points),
    doubled: store.doubled,
    wrong: store.wrongValue + phantom,
    writer: seen.ended ?? null,
    run: store.run,
    sync: seen.sync,
    ms,
    phases: seen.phases,
    writerOutput: writer.tail(1_000),
    problems: [],
  };
  result.problems = problemsOf(result, signal, isOnline, spool);
  return result;
}

function problemsOf(
  r: FaultResult,
  signal: KillSignal,
  isOnline: boolean,
  spool: SpoolCount | null,
): string[] {
  const p: string[] = [];
  const where = isOnline ? "on the server after amltk sync" : "in the store";
  if (r.loggedOld === 0) {
    p.push(
      `nothing was logged ${DURABLE_AFTER_MS} ms before the kill: the scenario proves nothing`,
    );
  }
  if (r.writer === null) p.push(`the writer did not end within 10 s of ${signal}`);
  else if (r.writer.signal !== signal) {
    p.push(
      `the writer ended with code ${r.writer.code}, signal ${r.writer.signal}, not by ${signal}`,
    );
  }
  if (r.lost > 0) p.push(`${r.lost} of ${r.required} required points missing ${where}`);
  // Write-ahead: online, a kill -9 also owes every point logged 200 ms before it (flushed to
  // the spool by then), not only what the spool happened to hold.
  if (isOnline && signal === "SIGKILL" && r.lostOld > 0) {
    p.push(`${r.lostOld} points logged ${DURABLE_AFTER_MS} ms before the kill missing ${where}`);
  }
  if (r.doubled > 0) p.push(`${r.doubled} points stored twice`);
  if (r.wrong > 0) p.push(`${r.wrong} stored points were never logged with that value and step`);
  if (signal !== "SIGKILL") {
    const code = SIGNAL_EXIT_CODES[signal];
    if (r.run?.state !== "failed" || r.run.exitCode !== code) {
      const got = r.run ? `${r.run.state} with exit code ${r.run.exitCode}` : "no run";
      p.push(`the run should be failed with exit code ${code}, is ${got}`);
    }
  } else if (!isOnline && r.run?.state !== "crashed") {
    p.push(`the killed run reads as ${r.run?.state ?? "missing"}, not crashed`);
  }
  if (isOnline) {
    // Write-ahead: the run's create was spooled before it was first sent, so sync delivers it.
    if (r.run === null)
      p.push("the run is not on the server after amltk sync (its create was lost)");
    if (r.sync?.code !== 0) {
      p.push(`amltk sync exited ${r.sync?.code}: ${r.sync?.output.trim().slice(-500)}`);
    }
    if (spool && spool.unreadable.length > 0) {
      p.push(`spool files not readable as ops (not counted): ${spool.unreadable.join(", ")}`);
    }
  }
  return p;
}

/** Rows the writer had reported as logged at or before `time` (epoch ms). */
function rowsLoggedBy(writer: Proc, time: number): number {
  let rows = 0;
  for (const p of writer.progress) if (p.at <= time) rows = p.rows;
  return rows;
}

function countAtOrAbove(points: Points, step: number): number {
  let n = 0;
  for (const steps of points.values()) for (const s of steps) if (s >= step) n++;
  return n;
}

/** One line per number and problem, with the seed to replay it (for assertion messages). */
export function describeResult(r: FaultResult): string {
  const { problems, sync, writerOutput, ...numbers } = r;
  return [
    `${r.scenario}: seed ${r.seed} (replay: AMLTK_FAULT_SEED=${r.seed})`,
    ...problems.map((x) => `  - ${x}`),
    `  ${JSON.stringify({ ...numbers, syncCode: sync?.code })}`,
    ...(writerOutput.trim() ? [`  writer printed: ${writerOutput.trim()}`] : []),
  ].join("\n");
}

/** The suite's seed: `AMLTK_FAULT_SEED` when set (to replay a failure), else a fresh one. */
export function suiteSeed(): number {
  const env = process.env.AMLTK_FAULT_SEED;
  if (env === undefined || env === "") return Math.floor(Math.random() * 2 ** 31);
  const n = Number(env);
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(
      `AMLTK_FAULT_SEED must be a non-negative integer, got ${JSON.stringify(env)}`,
    );
  }
  return n;
}
