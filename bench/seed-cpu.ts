/**
 * The seed's tracking cost in CPU time, in one process: `n` trials of the seed's target (10
 * `loss` logs each) through the W&B plugin's worker wrapper (a real offline SQLite store) and
 * the same trials without it, alternating, `repeats` times; prints the median CPU ms per trial
 * of each and their difference. CPU time (`process.cpuUsage`) rather than wall time, so a
 * loaded machine does not hide a win: this is the bench used to find where bench/seed.ts's
 * overhead goes.
 *
 * A third series, `...NoCommit`, encodes each trial's closed run as the store would (checks,
 * JSON, history pack: `prepareClosedRun`) but commits nothing: the tracker's CPU apart from the
 * SQLite commit, i.e. what a worker pays when another process writes its runs.
 *
 * Run: `node --import tsx bench/seed-cpu.ts [n=2000] [repeats=5]`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SqliteStore } from "../src/store/sqlite/index.js";
import { prepareClosedRun } from "../src/store/sqlite/new-closed-run.js";
import { randomId } from "../src/track/run-id.js";
import { Trial } from "../src/trial/trial.js";
import { wandbTrialWrapper } from "../src/wandb/wrapper.js";
import { target } from "./seed.js";

type XYZ = { x: number; y: number; z: number };

/**
 * CPU seconds for `n` trials, tracked into `dir` or plain when `dir` is null. Each trial gets a
 * run id as the plugin's host side gives one on a worker pool (threads, processes: the seed's
 * case), so the run is stored by its finish in one commit, as in a worker.
 */
async function trials(n: number, dir: string | null): Promise<number> {
  const params = { project: "bench-seed-cpu", dir };
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const trial = new Trial<XYZ>({ name: `trial-${i}`, config: { x: (i % 7) - 3, y: 2, z: 3 } });
    const options = { params, runId: randomId() };
    const report =
      dir === null
        ? await target(trial)
        : await wandbTrialWrapper(trial as Trial, options, (t) => target(t as Trial<XYZ>));
    if (report.status !== "success") throw new Error(`trial ${i}: ${report.status}`);
  }
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / 1e6;
}

/** Runs `work` with every new closed run encoded but not committed (see the module comment). */
async function withoutCommits<T>(work: () => Promise<T>): Promise<T> {
  const write = SqliteStore.prototype.writeRunSync;
  SqliteStore.prototype.writeRunSync = function (runId, w) {
    const closing = w.patch?.state !== undefined && w.patch.state !== "running";
    if (w.create && w.patch && closing)
      prepareClosedRun({ ...w.create, id: runId }, w.patch, w.history);
    else write.call(this, runId, w);
  };
  try {
    return await work();
  } finally {
    SqliteStore.prototype.writeRunSync = write;
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 2000);
  const repeats = Number(process.argv[3] ?? 5);
  const dir = mkdtempSync(join(tmpdir(), "amltk-bench-seed-cpu-"));
  try {
    await trials(Math.min(n, 200), dir); // warm-up: module loading, store creation, JIT
    await trials(Math.min(n, 200), null);
    const plain: number[] = [];
    const tracked: number[] = [];
    const noCommit: number[] = [];
    for (let r = 0; r < repeats; r++) {
      plain.push(await trials(n, null));
      tracked.push(await trials(n, dir));
      noCommit.push(await withoutCommits(() => trials(n, dir)));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ms = (s: number) => Math.round((s / n) * 1e6) / 1e3;
    const overheads = plain.map((p, i) => ms(tracked[i]! - p));
    const noCommitOverheads = plain.map((p, i) => ms(noCommit[i]! - p));
    console.log(
      JSON.stringify({
        bench: "seed-cpu",
        trials: n,
        repeats,
        cpuMsPerTrialPlain: ms(median(plain)),
        cpuMsPerTrialTracked: ms(median(tracked)),
        cpuOverheadMsPerTrialPerRepeat: overheads,
        cpuOverheadMsPerTrial: median(overheads),
        cpuMsPerTrialTrackedNoCommit: ms(median(noCommit)),
        cpuOverheadMsPerTrialNoCommit: median(noCommitOverheads),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
