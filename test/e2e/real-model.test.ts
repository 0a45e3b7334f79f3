/**
 * The real-model example (`examples/tune-model/`): its hand-written learner is checked against
 * finite-difference gradients and on a problem it must solve, its data split against the data
 * set, and the example itself runs as a user runs it (`tsx`, the built package, two worker
 * processes, the W&B plugin into a fresh store) with a small budget: it must train (validation
 * accuracy well above chance), prune some trials, and leave every trial's run with its
 * per-epoch curve in the store.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { loadIris, VALIDATION_FRACTION } from "../../examples/tune-model/data.js";
import { Mlp } from "../../examples/tune-model/mlp.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { RunRecord } from "../../src/store/types.js";

const exec = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A seeded uniform generator (mulberry32), so each check is the same every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("the example's MLP", () => {
  it("computes the cross-entropy gradient that finite differences measure", () => {
    const random = seeded(3);
    const rows = Array.from({ length: 6 }, () => [random() * 2 - 1, random() * 2 - 1, random()]);
    const labels = [0, 1, 2, 1, 0, 2];
    const mlp = new Mlp({
      inputs: 3,
      hidden: [5, 4],
      classes: 3,
      optimizer: "sgd",
      learningRate: 0.1,
      random,
    });
    mlp.gradient(rows, labels);
    const h = 1e-6;
    let checked = 0;
    for (const layer of mlp.layers) {
      for (const [params, grads] of [
        [layer.weights, layer.gradWeights],
        [layer.biases, layer.gradBiases],
      ]) {
        for (let i = 0; i < params.length; i++) {
          const original = params[i];
          params[i] = original + h;
          const up = mlp.evaluate(rows, labels).loss;
          params[i] = original - h;
          const down = mlp.evaluate(rows, labels).loss;
          params[i] = original;
          expect(grads[i]).toBeCloseTo((up - down) / (2 * h), 5);
          checked++;
        }
      }
    }
    expect(checked).toBe(3 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3);
  });

  it.each(["adam", "sgd"] as const)("learns XOR with %s (not linearly separable)", (optimizer) => {
    const rows = [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ].map((r) => r.map((v) => v * 2 - 1));
    const labels = [0, 1, 1, 0];
    const mlp = new Mlp({
      inputs: 2,
      hidden: [8],
      classes: 2,
      optimizer,
      learningRate: optimizer === "adam" ? 0.05 : 0.2,
      momentum: 0.9,
      random: seeded(7),
    });
    const before = mlp.evaluate(rows, labels);
    for (let epoch = 0; epoch < 300; epoch++) mlp.trainEpoch(rows, labels, 2);
    const after = mlp.evaluate(rows, labels);
    expect(after.accuracy).toBe(1);
    expect(after.loss).toBeLessThan(before.loss / 4);
  });
});

describe("the example's data", () => {
  it("splits the 150 Iris rows per class, seeded, standardized by the training side", () => {
    const data = loadIris(0);
    expect(data.classes).toEqual(["setosa", "versicolor", "virginica"]);
    expect(data.train.rows.length + data.validation.rows.length).toBe(150);
    for (let c = 0; c < 3; c++) {
      const inValidation = data.validation.labels.filter((l) => l === c).length;
      expect(inValidation).toBe(Math.round(50 * VALIDATION_FRACTION));
    }
    for (let f = 0; f < data.features; f++) {
      const column = data.train.rows.map((r) => r[f]);
      const mean = column.reduce((s, v) => s + v, 0) / column.length;
      const variance = column.reduce((s, v) => s + (v - mean) ** 2, 0) / column.length;
      expect(mean).toBeCloseTo(0, 10);
      expect(variance).toBeCloseTo(1, 10);
    }
    expect(loadIris(0)).toEqual(data);
    expect(loadIris(1).validation.rows).not.toEqual(data.validation.rows);
  });
});

/** The runs of `project` in the store at `dir`, with each one's history keys. */
async function storedRuns(dir: string, project: string) {
  const store = await SqliteStore.open(dir);
  try {
    const { runs } = await store.listRuns({ project });
    const out: {
      run: RunRecord;
      keys: Map<string, { count: number; minStep: number; maxStep: number }>;
    }[] = [];
    for (const run of runs) {
      out.push({ run, keys: new Map((await store.historyKeys(run.id)).map((k) => [k.key, k])) });
    }
    return out;
  } finally {
    await store.close();
  }
}

const CURVES = ["train_loss", "train_accuracy", "val_loss", "val_accuracy"];

describe("examples/tune-model (built package, run as a user would)", () => {
  it("tunes the MLP with TPE: trains, prunes, and stores every trial's per-epoch curve", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amltk-tune-model-"));
    dirs.push(dir);
    const epochs = 20;
    // A non-zero exit rejects, so this also checks the example's exit code is 0.
    const { stdout } = await exec(
      process.execPath,
      ["--import", "tsx", join(root, "examples", "tune-model", "tune-model.ts")],
      {
        cwd: root,
        env: {
          ...process.env,
          AMLTK_DIR: dir,
          MAX_TRIALS: "16",
          WORKERS: "2",
          EPOCHS: String(epochs),
        },
      },
    );
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      trials: number;
      pruned: number;
      failed: number;
      best: { val_loss: number; val_accuracy: number } | null;
    };
    expect(summary.trials).toBe(16);
    expect(summary.failed).toBe(0);
    expect(summary.pruned).toBeGreaterThan(0);
    // Three balanced classes: chance is 1/3.
    expect(summary.best?.val_accuracy).toBeGreaterThanOrEqual(0.8);

    const runs = await storedRuns(dir, "tune-model");
    expect(runs).toHaveLength(16);
    // The W&B plugin closes a pruned trial's run with the state of its own, not `failed`.
    expect(runs.filter(({ run }) => run.state === "pruned")).toHaveLength(summary.pruned);
    expect(runs.filter(({ run }) => run.state === "failed")).toHaveLength(0);
    for (const { run, keys } of runs) {
      expect(run.config).toHaveProperty("learning_rate");
      for (const key of CURVES) {
        const info = keys.get(key);
        expect(info, `${run.name} has ${key}`).toBeDefined();
        // One point per epoch trained, from epoch 1 on: all of them unless pruned.
        expect(info!.minStep).toBe(1);
        expect(info!.count).toBe(info!.maxStep);
        if (run.state === "finished") expect(info!.count).toBe(epochs);
        else expect(info!.count).toBeLessThan(epochs);
      }
    }
    const best = runs.find(({ run }) => run.summary.val_loss === summary.best?.val_loss);
    expect(best?.run.state).toBe("finished");
  });
});

describe("amltk demo --example tune-model (built bin)", () => {
  it("runs the example into the demo's store, every trial with its curves", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amltk-demo-tune-"));
    dirs.push(dir);
    const bin = join(root, "bin", "amltk.js");
    const args = ["demo", "--example", "tune-model", "--trials", "6", "--workers", "2"];
    const { stdout } = await exec(
      process.execPath,
      [bin, ...args, "--project", "demo-tune", "--no-serve", "--dir", dir],
      { env: { ...process.env, EPOCHS: "8" } },
    );
    expect(stdout).toContain(`Runs are stored in ${dir} (project "demo-tune")`);
    const runs = await storedRuns(dir, "demo-tune");
    expect(runs).toHaveLength(6);
    for (const { run, keys } of runs) {
      for (const key of CURVES)
        expect(keys.get(key)?.count, `${run.name} ${key}`).toBeGreaterThan(0);
    }
  });

  it("refuses an unknown example, naming the known ones", async () => {
    const bin = join(root, "bin", "amltk.js");
    const failed = exec(process.execPath, [bin, "demo", "--example", "nope", "--no-serve"]);
    await expect(failed).rejects.toMatchObject({
      stderr: expect.stringContaining('unknown --example "nope" (known: seed, tune-model)'),
    });
  });
});
