/**
 * The seed's tracking cost in a fresh process, as a pool's worker pays it: each series is a
 * new Node process that runs `n` trials of the seed's target (10 `loss` logs each), plain or
 * through the W&B plugin's worker wrapper into a real offline SQLite store, and reports its CPU
 * time split into its main thread (the trials and the tracker) and its other threads (V8's
 * optimizing compiler, GC helpers). Plain and tracked processes alternate, `repeats` times; the
 * overhead is tracked minus plain per trial, the median of the pairs.
 *
 * `bench/seed-cpu.ts` measures a warm tracker; `bench/seed.ts` the whole pool (host, IPC, two
 * workers). This one isolates what a new worker adds: the tracker's code interpreted and then
 * compiled anew by V8 in every worker, which a sweep of ~1,000 trials per worker amortizes
 * over those trials only. No host checkpoints the store here, so SQLite checkpoints it itself.
 *
 * Run: `node --import tsx bench/seed-cold.ts [n=1000] [repeats=6]`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { randomId } from "../src/track/run-id.js";
import { Trial } from "../src/trial/trial.js";
import { wandbTrialWrapper } from "../src/wandb/wrapper.js";
import { target } from "./seed.js";

type XYZ = { x: number; y: number; z: number };

/** CPU clock ticks (1/100 s) of this process's main thread and of its other threads. */
function threadTicks(): { main: number; other: number } {
  let main = 0;
  let other = 0;
  for (const task of readdirSync("/proc/self/task")) {
    const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(f[11]) + Number(f[12]);
    if (Number(task) === process.pid) main += ticks;
    else other += ticks;
  }
  return { main, other };
}

/** One series in this (fresh) process; prints its CPU ms per trial as JSON. */
async function child(tracked: boolean, n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "amltk-bench-seed-cold-"));
  const params = { project: "bench-seed-cold", dir };
  try {
    const before = threadTicks();
    for (let i = 0; i < n; i++) {
      const trial = new Trial<XYZ>({ name: `trial-${i}`, config: { x: (i % 7) - 3, y: 2, z: 3 } });
      const options = { params, runId: randomId() };
      const report = tracked
        ? await wandbTrialWrapper(trial as Trial, options, (t) => target(t as Trial<XYZ>))
        : await target(trial);
      if (report.status !== "success") throw new Error(`trial ${i}: ${report.status}`);
    }
    const after = threadTicks();
    const perTrial = (ticks: number) => (ticks * 10) / n;
    const main = perTrial(after.main - before.main);
    const other = perTrial(after.other - before.other);
    console.log(JSON.stringify({ main, other }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs one series in a new process (this file with `--child`). */
function series(tracked: boolean, n: number): { main: number; other: number } {
  const out = execFileSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      "--child",
      tracked ? "tracked" : "plain",
      String(n),
    ],
    { encoding: "utf8" },
  );
  return JSON.parse(out.trim().split("\n").pop() ?? "{}");
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (ms: number) => Math.round(ms * 1000) / 1000;

function main(): void {
  const n = Number(process.argv[2] ?? 1000);
  const repeats = Number(process.argv[3] ?? 6);
  const main: number[] = [];
  const other: number[] = [];
  const total: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const plain = series(false, n);
    const tracked = series(true, n);
    main.push(tracked.main - plain.main);
    other.push(tracked.other - plain.other);
    total.push(tracked.main + tracked.other - plain.main - plain.other);
  }
  console.log(
    JSON.stringify({
      bench: "seed-cold",
      trials: n,
      repeats,
      cpuOverheadMsPerTrialPerRepeat: total.map(round),
      cpuOverheadMsPerTrial: round(median(total)),
      cpuOverheadMsPerTrialMainThread: round(median(main)),
      cpuOverheadMsPerTrialOtherThreads: round(median(other)),
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv[2] === "--child")
    await child(process.argv[3] === "tracked", Number(process.argv[4]));
  else main();
}
