/**
 * The seed scenario: N trials x 10 `loss` logs on worker processes x 2, chained as in the
 * seed (each report submits the next), once without the plugin and once with the
 * WandbPlugin (offline, real SQLite store), alternating, `repeats` times.
 *
 * The overhead is what users pay: extra worker time per trial,
 * `(tracked wall - plain wall) x workers / trials`, per repeat, then the median. Goal: at most
 * 0.5 ms. The peer (Python amltk + offline wandb, the same definition) runs side by side when
 * a Python with both is available (bench/seed-peer.ts); otherwise its reference number is
 * printed as a reference, with where it came from. Wall time on a shared machine depends on
 * what else runs; CPU time (host + workers, from /proc on Linux) is printed beside it, and the
 * same trials in this process (`sequential`) give the tracking's own cost without IPC.
 *
 * Run: `node --import tsx bench/seed.ts [N=2000] [repeats=5] [peerTrials=20]`; with `--built`,
 * amltk comes from the built package (`npm run build` first), as a user who installed it runs
 * it (the default loads the TypeScript sources, as the tests do).
 * `--profile DIR` instead profiles one plain and one tracked sweep of N trials (host and
 * workers, bench/seed-profile.ts) and prints where the time went.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Run } from "../src/track/index.js";
import type { TrialReport } from "../src/trial/report.js";
import type { Trial as TrialOf } from "../src/trial/trial.js";
import { BUILT, importable, Scheduler, Trial, WandbPlugin } from "./seed-lib.js";
import { runPeer } from "./seed-peer.js";
import { profileHost, profileReport, profileWorkers, type SelfTimes } from "./seed-profile.js";

type XYZ = { x: number; y: number; z: number };

/** The seed's target; logs only when the plugin attached a run. */
export const target = importable(
  async (trial: TrialOf<XYZ>): Promise<TrialReport> => {
    const { x, y, z } = trial.config;
    const run = trial.plugins.wandb as Run | undefined;
    let last = 0;
    await trial.begin(() => {
      for (let i = 0; i < 10; i++) {
        last = i * x + 3 * (i * y) - (i * z) ** 2;
        run?.log({ loss: last });
      }
    });
    const cost = y + z + last * 0;
    trial.summary = { cost };
    return trial.success({ cost });
  },
  import.meta.url,
  "target",
);

const WORKERS = 2;
/** The goal for the overhead per trial, in ms of worker time. */
const GOAL_MS = 0.5;

/** Clock ticks (1/100 s) of user + system time in a Linux `/proc/.../stat` line. */
function statTicks(stat: string): number {
  // After "pid (comm) ": state, ppid, ... utime is field 14 and stime 15 of the whole line.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

/** The parent pid in a Linux `/proc/<pid>/stat` line. */
function statParent(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/**
 * CPU seconds used so far by this process's child processes (the workers), from Linux's
 * /proc/<pid>/stat (utime + stime, in clock ticks of 1/100 s), and the share of their main
 * threads (/proc/<pid>/task/<pid>/stat: the JavaScript thread where trials and the tracker
 * run); null where there is no /proc. The rest is their other threads: V8's optimizing
 * compiler and GC helpers, the parent watchdog, a TypeScript loader's thread under tsx.
 */
function childrenCpu(): { all: number; main: number } | null {
  if (process.platform !== "linux") return null;
  let all = 0;
  let main = 0;
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      if (statParent(stat) !== process.pid) continue;
      const mainStat = readFileSync(`/proc/${e}/task/${e}/stat`, "utf8");
      all += statTicks(stat);
      main += statTicks(mainStat);
    } catch {
      // exited meanwhile
    }
  }
  return { all: all / 100, main: main / 100 };
}

/**
 * CPU seconds of this process (the host, its threads included) and of its workers, with the
 * workers' main threads apart.
 */
interface CpuSplit {
  host: number;
  workers: number;
  workersMain: number;
}

function cpuNow(): CpuSplit | null {
  const workers = childrenCpu();
  if (workers === null) return null;
  const own = process.cpuUsage();
  return { host: (own.user + own.system) / 1e6, workers: workers.all, workersMain: workers.main };
}

/**
 * Wall seconds for `n` chained trials (worker start-up excluded: the clock starts at onStart),
 * the CPU seconds this process used meanwhile (all of the work when `inProcess`), and on
 * processes the CPU seconds of this process plus its workers per trial, counted from the
 * WORKERS-th report (each worker's first trial loads modules and opens the store) to the last.
 */
export async function sweep(
  n: number,
  dir: string | null,
  inProcess = false,
): Promise<{ wall: number; steadyWall: number; cpu: number; allCpuPerTrial: CpuSplit | null }> {
  const scheduler = inProcess
    ? Scheduler.withSequential()
    : Scheduler.withProcesses({ maxWorkers: WORKERS });
  const plugins = dir ? [new WandbPlugin({ project: "bench-seed", dir }).trialTracker()] : [];
  const task = new Trial.Task<XYZ>(target, scheduler, { plugins });
  let submitted = 0;
  let failed = 0;
  const submit = () => {
    if (submitted >= n) return;
    const i = submitted++;
    task.submit(new Trial<XYZ>({ name: `trial-${i}`, config: { x: (i % 7) - 3, y: 2, z: 3 } }));
  };
  let t0 = 0;
  let cpu0 = process.cpuUsage();
  scheduler.on("onStart", () => {
    t0 = performance.now();
    cpu0 = process.cpuUsage();
    for (let w = 0; w < WORKERS; w++) submit();
  });
  let reports = 0;
  /** When each worker has run its first trial (module loading, the store's opening). */
  let warmAt = 0;
  let all0 = null as CpuSplit | null;
  let all1 = null as CpuSplit | null;
  task.on("onReport", (r) => {
    if (r.status !== "success") {
      failed++;
      if (failed === 1) console.error(`bench: trial ${r.name} ${r.status}: ${r.exception}`);
    }
    reports++;
    if (reports === (inProcess ? 1 : WORKERS)) warmAt = performance.now();
    if (!inProcess && reports === WORKERS) all0 = cpuNow();
    if (!inProcess && reports === n) all1 = cpuNow();
    submit();
  });
  await scheduler.run();
  const end = performance.now();
  const secs = (end - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  if (failed > 0) throw new Error(`bench: ${failed} trials did not succeed`);
  const steadyTrials = n - WORKERS;
  const allCpuPerTrial =
    all0 !== null && all1 !== null && steadyTrials > 0
      ? {
          host: (all1.host - all0.host) / steadyTrials,
          workers: (all1.workers - all0.workers) / steadyTrials,
          workersMain: (all1.workersMain - all0.workersMain) / steadyTrials,
        }
      : null;
  const steadyWall = (end - warmAt) / 1000;
  return { wall: secs, steadyWall, cpu: (used.user + used.system) / 1e6, allCpuPerTrial };
}

/** Medians without and with the plugin over `repeats` alternating sweeps. */
async function compare(n: number, repeats: number, inProcess: boolean) {
  type Sweep = Awaited<ReturnType<typeof sweep>>;
  const without: Sweep[] = [];
  const withPlugin: Sweep[] = [];
  // Warm-up: module loading and the first SQLite file creation are not per-trial costs.
  await sweep(Math.min(n, 20), null, inProcess);
  const warm = mkdtempSync(join(tmpdir(), "amltk-bench-seed-"));
  await sweep(Math.min(n, 20), warm, inProcess);
  rmSync(warm, { recursive: true, force: true });
  for (let r = 0; r < repeats; r++) {
    without.push(await sweep(n, null, inProcess));
    const dir = mkdtempSync(join(tmpdir(), "amltk-bench-seed-"));
    try {
      withPlugin.push(await sweep(n, dir, inProcess));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ms = (s: number) => Math.round(s * 1e6) / 1e3;
  const round = (s: number) => Math.round(s * 1e4) / 1e4;
  const a = median(without.map((x) => x.wall));
  const b = median(withPlugin.map((x) => x.wall));
  // Extra worker time per trial, each repeat's tracked sweep against the plain one next to it.
  const workers = inProcess ? 1 : WORKERS;
  const perRepeat = without.map((x, i) => ((withPlugin[i]!.wall - x.wall) * workers) / n);
  // The same from each worker's first report on: what a trial costs once every worker has
  // loaded its modules and opened the store (a once-per-worker cost the definition spreads
  // over the sweep's trials).
  const warmTrials = n - workers;
  const steadyPerRepeat = without.map(
    (x, i) => ((withPlugin[i]!.steadyWall - x.steadyWall) * workers) / warmTrials,
  );
  const startPerRepeat = without.map(
    (x, i) => withPlugin[i]!.wall - withPlugin[i]!.steadyWall - (x.wall - x.steadyWall),
  );
  const out: Record<string, unknown> = {
    withoutPluginSeconds: without.map((x) => round(x.wall)),
    withPluginSeconds: withPlugin.map((x) => round(x.wall)),
    msPerTrialWithout: ms(a / n),
    msPerTrialWith: ms(b / n),
    overheadMsPerTrialPerRepeat: perRepeat.map(ms),
    overheadMsPerTrial: ms(median(perRepeat)),
    steadyOverheadMsPerTrialPerRepeat: steadyPerRepeat.map(ms),
    steadyOverheadMsPerTrial: ms(median(steadyPerRepeat)),
    // The extra wall time to the first report of every worker (its first trial opens the store
    // and runs the tracker's code for the first time): paid once per sweep, so on N trials it
    // adds startMs x workers / N to the steady overhead.
    startMsPerRepeat: startPerRepeat.map(ms),
    startMs: ms(median(startPerRepeat)),
  };
  if (inProcess) {
    // CPU time is what the tracking costs whatever else the machine is doing (wall time on a
    // shared machine is not); in-process it covers all of the work.
    const ca = median(without.map((x) => x.cpu));
    const cb = median(withPlugin.map((x) => x.cpu));
    out.cpuMsPerTrialWithout = ms(ca / n);
    out.cpuMsPerTrialWith = ms(cb / n);
    out.cpuOverheadMsPerTrial = ms((cb - ca) / n);
  } else if (without.every((x) => x.allCpuPerTrial !== null)) {
    // Host + workers: what the trials cost the machine, whatever else it is running; and
    // split, to say which side the tracking's CPU is on (the host's threads count as host).
    const cpu = (xs: Sweep[], side: (c: CpuSplit) => number) =>
      median(xs.map((x) => side(x.allCpuPerTrial!)));
    const all = (c: CpuSplit) => c.host + c.workers;
    const ca = cpu(without, all);
    const cb = cpu(withPlugin, all);
    out.cpuMsPerTrialWithout = ms(ca);
    out.cpuMsPerTrialWith = ms(cb);
    out.cpuOverheadMsPerTrial = ms(cb - ca);
    out.cpuOverheadMsPerTrialHost = ms(
      cpu(withPlugin, (c) => c.host) - cpu(without, (c) => c.host),
    );
    out.cpuOverheadMsPerTrialWorkers = ms(
      cpu(withPlugin, (c) => c.workers) - cpu(without, (c) => c.workers),
    );
    // The workers' JavaScript threads (trials, tracker, SQLite commits) and the rest of their
    // threads: mostly V8's optimizing compiler compiling the tracker's code in each new worker.
    out.cpuOverheadMsPerTrialWorkersMainThread = ms(
      cpu(withPlugin, (c) => c.workersMain) - cpu(without, (c) => c.workersMain),
    );
    const other = (c: CpuSplit) => c.workers - c.workersMain;
    out.cpuOverheadMsPerTrialWorkersOtherThreads = ms(cpu(withPlugin, other) - cpu(without, other));
  }
  return out;
}

/** `--profile DIR`: CPU profiles of one plain and one tracked sweep, side by side. */
async function profile(n: number, dir: string): Promise<void> {
  await sweep(Math.min(n, 20), null);
  const warm = mkdtempSync(join(tmpdir(), "amltk-bench-seed-"));
  await sweep(Math.min(n, 20), warm);
  rmSync(warm, { recursive: true, force: true });
  const sweeps = {
    plain: { host: new Map(), workers: new Map() } as { host: SelfTimes; workers: SelfTimes },
    tracked: { host: new Map(), workers: new Map() } as { host: SelfTimes; workers: SelfTimes },
  };
  const walls: Record<string, number> = {};
  for (const label of ["plain", "tracked"] as const) {
    const store = label === "tracked" ? mkdtempSync(join(tmpdir(), "amltk-bench-seed-")) : null;
    try {
      const into = sweeps[label];
      const result = await profileWorkers(join(dir, `${label}-workers`), into.workers, () =>
        profileHost(join(dir, `${label}-host.cpuprofile`), into.host, () => sweep(n, store)),
      );
      walls[label] = Math.round(result.wall * 1e4) / 1e4;
    } finally {
      if (store) rmSync(store, { recursive: true, force: true });
    }
  }
  console.log(
    JSON.stringify({ bench: "seed-profile", dir, wallSeconds: walls, ...profileReport(n, sweeps) }),
  );
}

/**
 * `--built`: runs this bench again in a child process that loads the built package (the
 * variable must be set before `seed-lib.ts` loads, and the workers inherit it).
 */
function rerunOnBuiltPackage(): never {
  const args = [...process.execArgv, ...process.argv.slice(1).filter((a) => a !== "--built")];
  const child = spawnSync(process.execPath, args, {
    stdio: "inherit",
    env: { ...process.env, AMLTK_BENCH_BUILT: "1" },
  });
  process.exit(child.status ?? 1);
}

async function main(): Promise<void> {
  if (process.argv.includes("--built") && !BUILT) rerunOnBuiltPackage();
  if (BUILT && !existsSync(fileURLToPath(new URL("../dist/public/index.js", import.meta.url)))) {
    throw new Error("bench: --built needs the built package: run `npm run build` first");
  }
  const flag = process.argv.indexOf("--profile");
  const profileDir = flag >= 0 ? process.argv.splice(flag, 2)[1] : undefined;
  const [nArg, repeatsArg, peerArg] = process.argv.slice(2).filter((a) => a !== "--built");
  // 2,000 trials by default: a worker's start-up varies by ±60 ms from sweep to sweep on a
  // 2-core machine, which is ±0.6 ms a trial on 200 trials and ±0.06 on 2,000. The one-time
  // part of the overhead is printed apart (`startMs`), so any sweep length's share follows.
  const n = Number(nArg ?? 2000);
  const repeats = Number(repeatsArg ?? 5);
  const peerTrials = Number(peerArg ?? 20);
  if (profileDir !== undefined) return profile(n, profileDir);
  const processes = await compare(n, repeats, false);
  // The same trials in this process, one after another: the tracking's own cost per trial,
  // without IPC and without two workers sharing the CPUs.
  const sequential = await compare(n, repeats, true);
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  console.log(
    JSON.stringify({
      bench: "seed",
      amltk: BUILT ? "built package (dist/)" : "TypeScript sources (src/, through tsx)",
      trials: n,
      logsPerTrial: 10,
      repeats,
      overhead: {
        definition:
          "(tracked wall - plain wall) x workers / trials, processes x2, median of repeats",
        msPerTrial: processes.overheadMsPerTrial,
        goalMs: GOAL_MS,
        // The same after each worker's first trial (its module loading and store opening).
        steadyMsPerTrial: processes.steadyOverheadMsPerTrial,
        // What those first trials cost once per sweep, in ms of wall time.
        startMs: processes.startMs,
      },
      // The seed scenario: chained trials on 2 worker processes.
      processes: { workers: WORKERS, ...processes },
      sequential,
      peer: runPeer(root, peerTrials, WORKERS),
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
