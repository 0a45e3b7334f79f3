/**
 * Export to W&B and import back, at size: a 200,000-step run (3 numeric keys per step, NaN now
 * and then, 200 system samples, 1,000 console lines) in a SQLite store is exported with
 * `exportWandbRun` to a W&B offline run folder, then imported with `importWandbRun` into a
 * fresh store. Each phase runs in a process of its own, so its peak RSS is its own.
 * Prints one JSON object: per phase wall time, points per second and peak RSS (MiB). With
 * `--heap-cap N`, export and import run again with V8's old space capped at N MiB: that they
 * finish shows their memory is bounded (RSS alone grows with a lazy garbage collector).
 *
 * Run: `node --import tsx bench/wandb-export.ts [--steps 200000] [--heap-cap 40]`
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { exportWandbRun } from "../src/export/export-run.js";
import { importWandbRun } from "../src/import/import-run.js";
import { SqliteStore } from "../src/store/sqlite/index.js";
import type { HistoryRow } from "../src/store/types.js";

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const STEPS = Number(arg("--steps") ?? 200_000);
const KEYS = 3;
const RUN = "bench-export";

interface Phase {
  seconds: number;
  peakRssMiB: number;
  extra?: Record<string, number>;
}

const peakRssMiB = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

async function seed(home: string): Promise<Phase> {
  const t0 = performance.now();
  const store = await SqliteStore.open(join(home, "a"));
  await store.createRun({ id: RUN, project: "bench", name: "export bench", createdAt: 1.7e12 });
  for (let start = 0; start < STEPS; start += 10_000) {
    const rows: HistoryRow[] = [];
    for (let i = start; i < Math.min(STEPS, start + 10_000); i++) {
      rows.push({
        step: i,
        runtime: i * 0.01,
        timestamp: 1.7e9 + i * 0.01,
        values: { loss: i % 997 === 0 ? Number.NaN : 1 / (i + 1), acc: i / STEPS, lr: 0.001 },
      });
    }
    await store.appendHistory(RUN, rows);
  }
  await store.appendSystem(
    RUN,
    Array.from({ length: 200 }, (_, i) => ({
      timestamp: 1.7e9 + i * 10,
      values: { "system/cpu": i % 100, "system/rss_mib": 100 + i },
    })),
  );
  await store.appendConsole(
    RUN,
    Array.from({ length: 1000 }, (_, i) => ({
      stream: "stdout" as const,
      timestamp: 1.7e9 + i,
      text: `epoch ${i}`,
    })),
  );
  await store.updateRun(RUN, { state: "finished", exitCode: 0, finishedAt: 1.7e12 + STEPS * 10 });
  await store.close();
  return { seconds: (performance.now() - t0) / 1000, peakRssMiB: peakRssMiB() };
}

async function exportPhase(home: string): Promise<Phase> {
  const store = await SqliteStore.open(join(home, "a"));
  const t0 = performance.now();
  const res = await exportWandbRun(store, RUN, { out: join(home, "wandb") });
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  const bytes = statSync(res.file).size;
  return {
    seconds,
    peakRssMiB: peakRssMiB(),
    extra: { steps: res.steps, fileMiB: Math.round((bytes / 2 ** 20) * 10) / 10 },
  };
}

async function importPhase(home: string): Promise<Phase> {
  // A store of its own per run of this phase (a second import would skip the run).
  const store = await SqliteStore.open(join(home, `b-${process.pid}`));
  const [folder] = readdirSync(join(home, "wandb"));
  const file = join(home, "wandb", folder!, `run-${RUN}.wandb`);
  const t0 = performance.now();
  const res = await importWandbRun(file, store);
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  if (res.steps !== STEPS) throw new Error(`imported ${res.steps} of ${STEPS} steps`);
  return { seconds, peakRssMiB: peakRssMiB(), extra: { steps: res.steps } };
}

const phases = { seed, export: exportPhase, import: importPhase } as const;

/** Runs one phase in a fresh process and returns what it printed. */
function inChild(phase: keyof typeof phases, home: string, heapCapMiB?: number): Phase {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", self, "--phase", phase, "--home", home, "--steps", String(STEPS)],
    {
      encoding: "utf8",
      maxBuffer: 1 << 20,
      env: heapCapMiB
        ? { ...process.env, NODE_OPTIONS: `--max-old-space-size=${heapCapMiB}` }
        : process.env,
    },
  );
  return JSON.parse(out.trim().split("\n").at(-1)!) as Phase;
}

const phaseArg = arg("--phase") as keyof typeof phases | undefined;
if (phaseArg) {
  const res = await phases[phaseArg](arg("--home")!);
  console.log(JSON.stringify(res));
} else {
  const home = mkdtempSync(join(tmpdir(), "amltk-bench-wandb-export-"));
  try {
    inChild("seed", home);
    const exp = inChild("export", home);
    const imp = inChild("import", home);
    const cap = arg("--heap-cap") ? Number(arg("--heap-cap")) : undefined;
    const capped = cap
      ? {
          heapCapMiB: cap,
          exportSeconds: inChild("export", home, cap).seconds,
          importSeconds: inChild("import", home, cap).seconds,
        }
      : undefined;
    const points = STEPS * KEYS;
    const rate = (p: Phase) => Math.round(points / p.seconds);
    console.log(
      JSON.stringify({
        bench: "wandb-export",
        steps: STEPS,
        points,
        export: { ...exp, pointsPerSecond: rate(exp) },
        import: { ...imp, pointsPerSecond: rate(imp) },
        roundTripSeconds: Math.round((exp.seconds + imp.seconds) * 100) / 100,
        ...(capped ? { underHeapCap: capped } : {}),
      }),
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
