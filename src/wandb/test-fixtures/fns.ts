/** Fixture trial functions imported by worker processes in wandb tests. */
import { importable } from "../../scheduling/executors/executor.js";
import type { Run } from "../../track/index.js";
import { Pruned } from "../../trial/pruning.js";
import type { Trial } from "../../trial/trial.js";
import type { WandbParams } from "../index.js";

type XYZ = { x: number; y: number; z: number };

/** The seed's "with plugin" target function. */
export const targetFunction = importable(
  async (trial: Trial<XYZ>) => {
    const { x, y, z } = trial.config;
    const run = trial.plugins.wandb as Run;
    await trial.begin(async () => {
      for (let i = 0; i < 10; i++) {
        const loss = i * x + 3 * (i * y) - (i * z) ** 2;
        run.log({ loss });
      }
    });
    const cost = y + z;
    trial.summary = { cost };
    return trial.success({ cost });
  },
  import.meta.url,
  "targetFunction",
);

/** Logs `points` losses (the config's), so that a few trials grow the store's WAL by MBs. */
export const logsPoints = importable(
  async (trial: Trial<{ points: number }>) => {
    const run = trial.plugins.wandb as Run;
    for (let i = 0; i < trial.config.points; i++) run.log({ loss: i / 7 });
    return trial.success({ cost: 0 });
  },
  import.meta.url,
  "logsPoints",
);

export const throws = importable(
  (_trial: Trial<XYZ>) => {
    throw new Error("boom");
  },
  import.meta.url,
  "throws",
);

export const modifyRun = importable(
  (trial: Trial, params: WandbParams) =>
    params.modify({ tags: [(trial.config.x as number) > 0 ? "positive" : "negative"] }),
  import.meta.url,
  "modifyRun",
);

/** Logs 10 losses, then fails (a normal, reported failure). */
export const fails = importable(
  async (trial: Trial<XYZ>) => {
    const run = trial.plugins.wandb as Run;
    for (let i = 0; i < 10; i++) run.log({ loss: i });
    return trial.fail({ cost: 100 });
  },
  import.meta.url,
  "fails",
);

/** Logs three steps, then fails as pruned (`Pruned at step 2`), as a pruner's stop does. */
export const pruned = importable(
  async (trial: Trial<XYZ>) => {
    const run = trial.plugins.wandb as Run;
    for (let i = 0; i < 3; i++) run.log({ loss: i });
    return trial.fail(new Pruned(2));
  },
  import.meta.url,
  "pruned",
);

/** Opens its run, then the worker process dies (as an OOM kill would) before finishing. */
export const killsWorker = importable(
  async (trial: Trial<XYZ>) => {
    const run = trial.plugins.wandb as Run;
    run.log({ loss: 1 });
    process.kill(process.pid, "SIGKILL");
    return trial.success({ cost: 0 });
  },
  import.meta.url,
  "killsWorker",
);

/** Logs, waits until its run stored that point (the row comes with it), then kills its worker. */
export const killsWorkerAfterFlush = importable(
  async (trial: Trial<XYZ>) => {
    const run = trial.plugins.wandb as Run;
    run.log({ loss: 1 });
    await run.flush();
    process.kill(process.pid, "SIGKILL");
    return trial.success({ cost: 0 });
  },
  import.meta.url,
  "killsWorkerAfterFlush",
);

/**
 * The seed target, but each trial waits (with its run open) until `peers` trials have
 * started, so the runs are provably open at the same time. Start markers are files in
 * `config.barrier`, visible to every thread and process.
 */
export const waitsForPeers = importable(
  async (trial: Trial<XYZ & { barrier: string; peers: number }>) => {
    const { x, y, z, barrier, peers } = trial.config;
    const { mkdirSync, readdirSync, writeFileSync } = await import("node:fs");
    const run = trial.plugins.wandb as Run;
    mkdirSync(barrier, { recursive: true });
    writeFileSync(`${barrier}/${trial.name}`, String(process.pid));
    while (readdirSync(barrier).length < peers) {
      await new Promise((r) => setTimeout(r, 5)); // polls a condition, not a timing guess
    }
    for (let i = 0; i < 10; i++) run.log({ loss: i * x + 3 * (i * y) - (i * z) ** 2 });
    trial.summary = { cost: y + z };
    return trial.success({ cost: y + z });
  },
  import.meta.url,
  "waitsForPeers",
);

/** A modify that forgets to return the params. */
export const modifyReturnsNothing = importable(
  (_trial: Trial, _params: WandbParams) => undefined as unknown as WandbParams,
  import.meta.url,
  "modifyReturnsNothing",
);
