/**
 * Fault-injection bench (issue 10): the scenarios of `test/e2e/faults-*.test.ts`, more often.
 * A writer process logs through the tracker (offline into SQLite; online through `amltk ui`,
 * down from the start, killed and restarted, or paused with SIGSTOP) and is killed at a seeded
 * point with SIGKILL, SIGINT, SIGTERM or SIGHUP; online, `amltk sync` runs after its death.
 * Then the store is counted. What each figure means is in `test/e2e/fault-scenarios.ts`:
 * `logged` points returned from `run.log`; `spooled` (online) points in the spool at death;
 * `stored` distinct points in the store (online: the server's, after sync); `delivered`
 * (online) spooled points on the server after sync; `lost` points owed but not stored (offline
 * kill -9: those logged 200 ms before it; clean signals: all; online kill -9: all spooled);
 * `lostOld` points logged 200 ms before the kill but not stored (a promise offline only);
 * `doubled` points stored twice; `wrong` stored points that were never logged so.
 *
 * Run: `npx tsx bench/faults.ts [--seed N] [--reps 3] [--scale 1] [--faults
 * offline,down,restart,pause] [--signals SIGKILL,SIGINT,SIGTERM,SIGHUP]`. Repetition i uses
 * seed N + i; `--scale` stretches every logging phase (5: seconds of logging, ~10^5 points
 * and more per run). Prints one JSON object: totals per scenario over its repetitions, and
 * every broken promise with its seed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import {
  FAULTS,
  type Fault,
  type FaultResult,
  type KillSignal,
  runScenario,
  SIGNALS,
} from "../test/e2e/fault-scenarios.js";

const argv = process.argv.slice(2);
function arg(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}
function list<T extends string>(name: string, all: readonly T[]): T[] {
  const raw = arg(name);
  if (raw === undefined) return [...all];
  const picked = raw.split(",");
  const bad = picked.filter((x) => !all.includes(x as T));
  if (bad.length > 0)
    throw new Error(`--${name}: unknown ${bad.join(", ")} (one of ${all.join(", ")})`);
  return picked as T[];
}
function int(name: string, def: number): number {
  const raw = arg(name);
  const n = raw === undefined ? def : Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a non-negative integer, got ${raw}`);
  return n;
}

const seed = int("seed", Math.floor(Math.random() * 2 ** 31));
const reps = Math.max(1, int("reps", 3));
const scale = Number(arg("scale") ?? 1);
if (!(scale > 0)) throw new Error(`--scale must be a positive number, got ${arg("scale")}`);
const faults = list<Fault>("faults", FAULTS);
const signals = list<KillSignal>("signals", SIGNALS);

const SUMMED = [
  "logged",
  "spooled",
  "stored",
  "delivered",
  "lost",
  "lostOld",
  "doubled",
  "wrong",
] as const;

/** Totals over a scenario's repetitions; `null` where the figure does not apply (offline). */
function total(results: FaultResult[]) {
  const sums = Object.fromEntries(
    SUMMED.map((k) => {
      const vals = results.map((r) => r[k]);
      return [
        k,
        vals.some((v) => v === null) ? null : vals.reduce<number>((a, v) => a + (v ?? 0), 0),
      ];
    }),
  );
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  return {
    runs: results.length,
    ...sums,
    runsWithProblems: results.filter((r) => r.problems.length > 0).length,
    medianMs: ms[Math.floor(ms.length / 2)],
  };
}

const root = mkdtempSync(join(tmpdir(), "amltk-bench-faults-"));
const scenarios: Record<string, ReturnType<typeof total>> = {};
const problems: { scenario: string; seed: number; problems: string[] }[] = [];
const t0 = Date.now();
try {
  for (const fault of faults) {
    for (const signal of signals) {
      const results: FaultResult[] = [];
      for (let i = 0; i < reps; i++) {
        const r = await runScenario(fault, signal, seed + i, root, scale);
        results.push(r);
        if (r.problems.length > 0)
          problems.push({ scenario: r.scenario, seed: r.seed, problems: r.problems });
        console.error(
          `${r.scenario} seed ${r.seed}: ${r.problems.length === 0 ? "ok" : r.problems.join("; ")}`,
        );
      }
      scenarios[`${fault}/${signal}`] = total(results);
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

console.log(
  JSON.stringify(
    {
      bench: "faults",
      seed,
      reps,
      scale,
      cpus: cpus().length,
      wallMs: Date.now() - t0,
      allPromisesHeld: problems.length === 0,
      scenarios,
      problems,
    },
    null,
    2,
  ),
);
