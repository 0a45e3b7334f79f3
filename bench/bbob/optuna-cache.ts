/**
 * A file cache of Optuna's held-out runs. Optuna's side of bench/optim.ts's held-out report
 * does not change when ours does, and a run is deterministic given the problem, the budget,
 * the seed and Optuna's version (TPESampler(seed) in a sequential ask/tell loop on a
 * deterministic function), so each (problem, trials, seed) result is kept under a key that
 * also holds Optuna's version and a hash of the sources that define the problems and the
 * loop: editing a function, the instance generator or optuna_bench.py starts a fresh cache.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The files whose contents decide Optuna's results on a problem. */
const SOURCES = [
  "bbob/functions.ts",
  "bbob/transforms.ts",
  "bbob/harness.ts",
  "functions.ts",
  "python/optuna_bench.py",
];

/** One cached run: Optuna's best regret and its sampler's ms per trial then. */
export interface CachedRun {
  readonly best: number;
  readonly ms: number;
}

export class OptunaCache {
  readonly path: string;
  readonly #sourceHash: string;
  readonly #runs: Record<string, CachedRun>;
  /** Lookups answered from the file, and runs added to it, this time. */
  hits = 0;
  added = 0;

  private constructor(path: string, runs: Record<string, CachedRun>) {
    this.path = path;
    this.#runs = runs;
    const bench = join(dirname(fileURLToPath(import.meta.url)), "..");
    const hash = createHash("sha256");
    for (const f of SOURCES) hash.update(readFileSync(join(bench, f)));
    this.#sourceHash = hash.digest("hex").slice(0, 16);
  }

  /** The cache in `path` (empty when the file is missing or unreadable). */
  static open(path: string): OptunaCache {
    let runs: Record<string, CachedRun> = {};
    try {
      runs = JSON.parse(readFileSync(path, "utf8")) as Record<string, CachedRun>;
    } catch {
      // A missing or torn file is an empty cache: every run is simply made again.
    }
    return new OptunaCache(path, runs);
  }

  #key(version: string, problem: string, trials: number, seed: number): string {
    return `optuna ${version}|src ${this.#sourceHash}|${problem}|trials ${trials}|seed ${seed}`;
  }

  get(version: string, problem: string, trials: number, seed: number): CachedRun | undefined {
    const run = this.#runs[this.#key(version, problem, trials, seed)];
    if (run) this.hits++;
    return run;
  }

  set(version: string, problem: string, trials: number, seed: number, run: CachedRun): void {
    this.#runs[this.#key(version, problem, trials, seed)] = run;
    this.added++;
  }

  /**
   * Writes the file atomically (a temp file renamed over it), merged with what another run may
   * have written since this one opened it.
   */
  save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const merged = { ...OptunaCache.open(this.path).#runs, ...this.#runs };
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(merged));
    renameSync(tmp, this.path);
  }
}

/** A cache file of the benches, under `node_modules/.cache/amltk-bench/` (ignored by git). */
export function benchCacheFile(name: string): string {
  return join(
    dirname(fileURLToPath(import.meta.url)),
    "..",
    "..",
    "node_modules",
    ".cache",
    "amltk-bench",
    name,
  );
}

/** Where bench/optim.ts keeps the cache unless told otherwise (ignored by git). */
export const DEFAULT_OPTUNA_CACHE = benchCacheFile("optuna-heldout.json");
