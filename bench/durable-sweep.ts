/**
 * Durable sweeps: trials per second of a durable TPE (and random) sweep with 2 worker
 * processes and a trivial objective, its journal in SQLite and, when PostgreSQL is installed,
 * in PostgreSQL; the same sweep not durable (what the journal costs); side by side with
 * Optuna 5.0's RDB storage on the same PostgreSQL (2 worker processes sharing a study) when a
 * Python with optuna and psycopg2 is found (`AMLTK_PYTHON`, else `python3`), otherwise the
 * figures measured when issue 12 was filed. Then faults: a worker and then the driver killed
 * with SIGKILL mid-sweep, the driver started again, and the trials left `running` counted
 * (goal 0; Optuna leaves one per killed worker, also measured when it runs).
 *
 * Run: `node --import tsx bench/durable-sweep.ts [--trials 400] [--kill-trials 60]
 * [--no-optuna] [--no-postgres]`; prints one JSON object.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { optimize } from "../src/optim/optimize.js";
import { RandomSearch } from "../src/optim/random.js";
import { float, space } from "../src/optim/space/index.js";
import { TPE } from "../src/optim/tpe/tpe.js";
import type { Optimizer } from "../src/optim/types.js";
import { Scheduler } from "../src/scheduling/scheduler.js";
import { openStore } from "../src/store/open-store.js";
import { Metric } from "../src/trial/metric.js";
import { trivial } from "./durable-sweep-parts.js";

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const num = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const TRIALS = num("trials", 400);
const KILL_TRIALS = num("kill-trials", 60);
const OPTUNA_SCRIPT = fileURLToPath(new URL("./python/optuna_durable.py", import.meta.url));
const DRIVER = fileURLToPath(new URL("./durable-sweep-driver.ts", import.meta.url));
/** What issue 12 measured for Optuna 5.0 on PostgreSQL (2 workers, trivial objective). */
const OPTUNA_REFERENCE = {
  tpe_trials_per_s: "62-72",
  random_trials_per_s: "115-120",
  source: "issue 12 (measured when it was filed: Optuna 5.0, RDB storage on PostgreSQL, 2 workers)",
};

const s = space({ x: float(-5, 5), y: float(-5, 5) });
const loss = new Metric("loss");
const makers: Record<string, () => Optimizer> = {
  tpe: () => new TPE({ space: s, metrics: loss, seed: 1 }),
  random: () => new RandomSearch({ space: s, metrics: loss, seed: 1 }),
};

let sweeps = 0;

/** Trials per second of one sweep (durable when `store` is given). */
async function measure(kind: string, store: string | undefined): Promise<Record<string, number>> {
  const t0 = performance.now();
  let first: number | undefined;
  const result = await optimize({
    fn: trivial,
    optimizer: makers[kind] as () => Optimizer,
    space: s,
    metrics: loss,
    scheduler: Scheduler.withProcesses({ maxWorkers: 2 }),
    maxTrials: TRIALS,
    ...(store ? { sweep: { name: `bench-${kind}-${++sweeps}`, store } } : {}),
    onReport: () => {
      first ??= performance.now();
    },
  });
  const end = performance.now();
  const n = result.history.length;
  const wall = (end - t0) / 1000;
  // From the first report on: the workers are up (their start is a fixed cost, not per trial).
  const steady = (n - 1) / ((end - (first ?? t0)) / 1000);
  return {
    trials: n,
    wall_s: round(wall),
    trials_per_s: round(n / wall),
    steady_trials_per_s: round(steady),
  };
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

/** A Python that imports optuna and psycopg2, or why none. */
function findPython(): { python?: string; reason?: string } {
  if (flag("no-optuna")) return { reason: "--no-optuna" };
  const python = process.env.AMLTK_PYTHON ?? "python3";
  const probe = spawnSync(python, ["-c", "import optuna, psycopg2; print(optuna.__version__)"], {
    encoding: "utf8",
  });
  if (probe.status === 0) return { python };
  return {
    reason: `${python} cannot import optuna and psycopg2 (pip install optuna==5.0.0 psycopg2-binary from the local mirror, see ../shared/peers/README.md; AMLTK_PYTHON names another python)`,
  };
}

function runPython(python: string, args: string[]): Record<string, unknown> {
  const out = spawnSync(python, [OPTUNA_SCRIPT, ...args], { encoding: "utf8" });
  if (out.status !== 0) return { error: out.stderr.trim().split("\n").slice(-3).join(" ") };
  return JSON.parse(out.stdout.trim().split("\n").at(-1) as string);
}

/** Starts the bench's driver; resolves once it printed `line` (or ended). */
function startDriver(store: string, name: string, env: NodeJS.ProcessEnv) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", DRIVER, store, name, String(KILL_TRIALS)],
    {
      detached: true,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...env },
    },
  );
  let out = "";
  const waitFor = (line: string) =>
    new Promise<boolean>((resolve) => {
      const check = () => out.split("\n").includes(line) && resolve(true);
      child.stdout?.on("data", (b: Buffer) => {
        out += b.toString();
        check();
      });
      child.once("exit", () => resolve(out.split("\n").includes(line)));
      check();
    });
  return { child, waitFor };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once("exit", () => r()));
}

/**
 * A worker killed with SIGKILL after 10 reports, the driver after 25, the driver started
 * again to the end: how many trials the store holds, and in which states.
 */
async function killScenario(store: string): Promise<Record<string, number>> {
  const name = `bench-kill-${Date.now()}`;
  const scratch = mkdtempSync(join(tmpdir(), "amltk-bench-kill-"));
  const pids = join(scratch, "pids");
  const env = { AMLTK_BENCH_PIDS: pids, AMLTK_BENCH_TRIAL_MS: "50" };
  try {
    const first = startDriver(store, name, env);
    await first.waitFor("told 10");
    const worker = Number(readFileSync(pids, "utf8").trim().split("\n").at(-1));
    process.kill(worker, "SIGKILL");
    await first.waitFor("told 25");
    process.kill(-(first.child.pid as number), "SIGKILL");
    await exited(first.child);
    const second = startDriver(store, name, env);
    const done = await second.waitFor("done");
    await exited(second.child);
    const st = await openStore(store);
    try {
      const { runs } = await st.listRuns({ group: name });
      const trials = runs.filter((r) => r.jobType === "trial");
      const count = (state: string) => trials.filter((r) => r.state === state).length;
      return {
        worker_kills: 1,
        driver_kills: 1,
        resumed_to_end: done ? 1 : 0,
        trials: trials.length,
        distinct_trials: new Set(trials.map((r) => r.name)).size,
        stuck_running: count("running"),
        finished: count("finished"),
        crashed: count("crashed"),
      };
    } finally {
      await st.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {
    bench: "durable-sweep",
    trials: TRIALS,
    workers: 2,
    executor: "processes",
    objective: "trivial (x^2 + y^2)",
    cpus: cpus().length,
    loadavg_1m: round(loadavg()[0] ?? 0),
  };
  const scratch = mkdtempSync(join(tmpdir(), "amltk-bench-sweep-"));
  const { postgresAvailability, startPostgres } = await import("../test/services/postgres.js");
  const pgAvailable = !flag("no-postgres") && postgresAvailability("durable-sweep bench", {}).found;
  const pg = pgAvailable ? await startPostgres() : undefined;
  try {
    const sqlite = join(scratch, "runs");
    const pgUrl = pg ? await pg.createDatabase() : undefined;
    const amltk: Record<string, unknown> = {
      tpe_not_durable: await measure("tpe", undefined),
      tpe_sqlite: await measure("tpe", sqlite),
      random_sqlite: await measure("random", sqlite),
    };
    if (pgUrl) {
      amltk.tpe_postgres = await measure("tpe", pgUrl);
      amltk.random_postgres = await measure("random", pgUrl);
    } else amltk.postgres = "skipped: no PostgreSQL (apt-get install -y postgresql)";
    out.amltk = amltk;

    const { python, reason } = findPython();
    let optunaTpe: number | undefined;
    if (python && pg) {
      const url = (await pg.createDatabase()).replace(/^postgres(ql)?:/, "postgresql+psycopg2:");
      const tpe = runPython(python, [
        "throughput",
        "--url",
        url,
        "--trials",
        String(TRIALS),
        "--sampler",
        "tpe",
      ]);
      const random = runPython(python, [
        "throughput",
        "--url",
        url,
        "--trials",
        String(TRIALS),
        "--sampler",
        "random",
      ]);
      const kill = runPython(python, ["kill", "--url", url, "--trials", String(KILL_TRIALS)]);
      optunaTpe = tpe.trials_per_s as number | undefined;
      out.optuna = { storage: "RDB on the same PostgreSQL", tpe, random, kill };
    } else {
      out.optuna = {
        skipped: reason ?? "no PostgreSQL (apt-get install -y postgresql)",
        reference: OPTUNA_REFERENCE,
      };
    }
    const ours = ((amltk.tpe_postgres ?? amltk.tpe_sqlite) as { trials_per_s: number })
      .trials_per_s;
    out.tpe_speedup_vs_optuna = optunaTpe
      ? round(ours / optunaTpe)
      : `${round(ours / 72)}-${round(ours / 62)} (against the reference 62-72)`;
    out.goal_speedup = 10;
    out.kill = {
      sqlite: await killScenario(sqlite),
      ...(pgUrl ? { postgres: await killScenario(pgUrl) } : {}),
    };
  } finally {
    await pg?.stop();
    if (existsSync(scratch)) rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

await main();
