/**
 * Tracker benchmark (issue 3), ours beside wandb's Python client doing the same work.
 * Run: `npx tsx bench/track.ts [--quick]`. Prints one JSON object.
 *
 * Both sides use the same counts (`COUNTS`, passed to bench/python/track_wandb.py) and the same
 * settings: init/finish and log runs sample no system metrics (our `systemInterval: 0`, wandb's
 * `x_disable_stats`), cold runs keep both defaults (sampling on). What still differs is printed
 * under `differences`.
 *
 * - initFinishMedianMs: init + finish of an empty run, median of `inits`, in one process
 *   (MemoryStore; one injected SqliteStore; the default store of a folder, which init keeps open).
 * - cold: fresh `node` processes that import the BUILT `amltk/track` (dist/, rebuilt first when
 *   older than src/), init, log 10 points and finish; wall time from spawn to exit.
 * - logs: one scalar key, `logs` `run.log` calls in a fresh `node` process on dist/, all
 *   persisted at finish (counted afterwards); calls/s with and without finish, and peak RSS.
 * - wandb: the Python client on the same counts when wandb is installed (in `python3`, or the
 *   Python named by AMLTK_PEER_PYTHON), else a note.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SqliteStore } from "../src/store/sqlite/index.js";
import type { Store } from "../src/store/types.js";
import { init } from "../src/track/init.js";
import { MemoryStore } from "../src/track/memory-store.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.argv.includes("--quick");
/** The work each side does; the Python side gets the same numbers. */
const COUNTS = quick
  ? { inits: 20, logs: 100_000, cold: 3 }
  : { inits: 100, logs: 1_000_000, cold: 10 };
/** What is not the same on the two sides, said plainly (see also track_wandb.py). */
const DIFFERENCES = [
  "wandb offline runs go through its wandb-core service process and write a run folder " +
    "(.wandb transaction log, metadata, requirements); ours write rows into one SQLite file " +
    "in-process",
  "wandb's init/finish median skips its first init (service start-up, reported apart); ours " +
    "reuses an open store, as init does",
  "wandb collects git and machine metadata at init; ours records pid, host and start token",
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
const r2 = (x: number) => Math.round(x * 100) / 100;

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** dist/ is what users import; rebuild it when the tracker's sources are newer. */
function ensureDist(): void {
  const entry = join(root, "dist", "public", "track.js");
  const src = Math.max(...["track", "store", "public"].map((d) => newest(join(root, "src", d))));
  if (existsSync(entry) && statSync(entry).mtimeMs >= src) return;
  spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "ignore" });
}

async function initFinish(n: number, opts: () => Parameters<typeof init>[0]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const run = await init({ systemInterval: 0, reinit: "create_new", ...opts() });
    await run.finish();
    times.push(performance.now() - t);
  }
  return Math.round(median(times) * 10_000) / 10_000;
}

/** Spawns `node --input-type=module -e <code>` in the repo (so `amltk/track` self-resolves). */
function nodeEval(code: string, args: string[] = []): Promise<{ ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, ["--input-type=module", "-e", code, "--", ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (b) => {
      out += b;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`child exited ${code}: ${out}`));
      else resolve({ ms: performance.now() - t, out });
    });
  });
}

// CPU time is printed at exit: on a busy machine it says what wall time cannot.
const CPU_AT_EXIT = `process.on("exit", () => { const c = process.cpuUsage();
  process.stdout.write(String((c.user + c.system) / 1000)); });`;

const COLD = `${CPU_AT_EXIT}
import { init } from "amltk/track";
const run = await init({ dir: process.argv[1], project: "cold" });
for (let i = 0; i < 10; i++) run.log({ loss: i });
await run.finish();`;

const LOGS = `import { init } from "amltk/track";
const n = Number(process.argv[2]);
const run = await init({ dir: process.argv[1], project: "log1m", systemInterval: 0 });
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < n; i++) run.log({ loss: i });
const c1 = process.cpuUsage(c0);
const t1 = performance.now();
await run.finish();
const t2 = performance.now();
console.log(JSON.stringify({ id: run.id, loopMs: t1 - t0, finishMs: t2 - t1,
  loopCpuMs: (c1.user + c1.system) / 1000,
  peakRssMiB: process.resourceUsage().maxRSS / 1024 }));`;

async function cold(runs: number) {
  const dir = mkdtempSync(join(tmpdir(), "amltk-cold-"));
  try {
    const first = (await nodeEval(COLD, [dir])).ms;
    const times: number[] = [];
    const cpu: number[] = [];
    const bare: number[] = [];
    const bareCpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const c = await nodeEval(COLD, [dir]);
      times.push(c.ms);
      cpu.push(Number(c.out));
      const b = await nodeEval(CPU_AT_EXIT, []);
      bare.push(b.ms);
      bareCpu.push(Number(b.out));
    }
    return {
      medianMs: r2(median(times)),
      cpuMedianMs: r2(median(cpu)),
      newStoreMs: r2(first),
      bareNodeMedianMs: r2(median(bare)),
      bareNodeCpuMedianMs: r2(median(bareCpu)),
      runs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function logs(n: number) {
  const dir = mkdtempSync(join(tmpdir(), "amltk-logs-"));
  try {
    const r = JSON.parse((await nodeEval(LOGS, [dir, String(n)])).out) as {
      id: string;
      loopMs: number;
      loopCpuMs: number;
      finishMs: number;
      peakRssMiB: number;
    };
    const store = SqliteStore.openSync(dir);
    const keys = await store.historyKeys(r.id);
    store.closeSync();
    return {
      calls: n,
      callsPerSec: Math.round(n / (r.loopMs / 1000)),
      callsPerSecInclFinish: Math.round(n / ((r.loopMs + r.finishMs) / 1000)),
      callsPerCpuSec: Math.round(n / (r.loopCpuMs / 1000)),
      finishMs: r2(r.finishMs),
      peakRssMiB: r2(r.peakRssMiB),
      persisted: keys.find((k) => k.key === "loss")?.count ?? 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Python that has wandb (the seed bench's peer uses the same variable). */
const PYTHON = process.env.AMLTK_PEER_PYTHON ?? "python3";

function wandb(): unknown {
  const probe = spawnSync(
    PYTHON,
    ["-c", "import importlib.util as u; print(u.find_spec('wandb') is not None)"],
    {
      encoding: "utf8",
    },
  );
  if (probe.stdout?.trim() !== "True")
    return { note: "wandb is not installed (pip install wandb)" };
  const args = [
    ...["--inits", String(COUNTS.inits), "--logs", String(COUNTS.logs)],
    ...["--cold", String(COUNTS.cold), "--no-stats"],
  ];
  try {
    const out = execFileSync(PYTHON, [join(root, "bench", "python", "track_wandb.py"), ...args], {
      encoding: "utf8",
      timeout: 1_800_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return JSON.parse(out.trim().split("\n").pop()!);
  } catch (e) {
    return { note: `wandb bench failed: ${(e as Error).message.split("\n")[0]}` };
  }
}

ensureDist();
const dir = mkdtempSync(join(tmpdir(), "amltk-bench-"));
try {
  const { inits } = COUNTS;
  const shared: Store = await SqliteStore.open(join(dir, "shared"));
  const ours = {
    initFinishMedianMs: {
      memory: await initFinish(inits, () => ({ store: new MemoryStore() })),
      sqliteShared: await initFinish(inits, () => ({ store: shared })),
      sqliteDefaultDir: await initFinish(inits, () => ({ dir: join(dir, "own") })),
    },
    cold: await cold(COUNTS.cold),
    logs: await logs(COUNTS.logs),
  };
  await shared.close();
  const goals = {
    initFinishMedianMs: "<= 0.5",
    coldMs: "<= 150",
    logCallsPerSec: ">= 1000000",
    logPeakRssMiB: "<= 80 (at 1,000,000 calls)",
  };
  const same = {
    ...COUNTS,
    systemMetrics: "off in init/finish and log runs on both sides; defaults (on) in cold runs",
  };
  const result = { goals, sameWork: same, differences: DIFFERENCES, amltk: ours, wandb: wandb() };
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
