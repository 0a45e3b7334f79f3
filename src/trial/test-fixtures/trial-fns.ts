/** Fixture trial functions imported by worker processes in tests. */
import { importable } from "../../scheduling/executors/executor.js";
import type { Trial } from "../trial.js";

type XYZ = { x: number; y: number; z: number };

export const costYZ = importable(
  (trial: Trial<XYZ>) => trial.success({ cost: trial.config.y + trial.config.z }),
  import.meta.url,
  "costYZ",
);

export const throws = importable(
  (_trial: Trial<XYZ>) => {
    throw new Error("boom");
  },
  import.meta.url,
  "throws",
);

/** Exits the worker when `x < 0`; otherwise reports cost y+z. */
export const exitsOnNegative = importable(
  (trial: Trial<XYZ>) => {
    if (trial.config.x < 0) process.exit(3);
    return trial.success({ cost: trial.config.y + trial.config.z });
  },
  import.meta.url,
  "exitsOnNegative",
);

/** Naps `x` seconds (a wall-time limit stops it), then reports cost y+z. */
export const napThenCost = importable(
  async (trial: Trial<XYZ>) => {
    await new Promise((r) => setTimeout(r, trial.config.x * 1000));
    return trial.success({ cost: trial.config.y + trial.config.z });
  },
  import.meta.url,
  "napThenCost",
);

/** Kills its worker when `x < 0` (SIGKILL for a process, exit for a thread); else cost y+z. */
export const killedOnNegative = importable(
  async (trial: Trial<XYZ>) => {
    if (trial.config.x < 0) {
      const { isMainThread } = await import("node:worker_threads");
      if (isMainThread) process.kill(process.pid, "SIGKILL");
      else process.exit(9);
      await new Promise(() => {});
    }
    return trial.success({ cost: trial.config.y + trial.config.z });
  },
  import.meta.url,
  "killedOnNegative",
);

/** Reports progress through `trial.plugins.comm`, asks for a bonus, returns cost y+z+bonus. */
export const talksBack = importable(
  async (trial: Trial<XYZ>) => {
    const comm = trial.plugins.comm as {
      send(d: unknown): void;
      request(d: unknown): Promise<unknown>;
    };
    comm.send({ trial: trial.name, step: 1 });
    const bonus = (await comm.request({ trial: trial.name })) as number;
    return trial.success({ cost: trial.config.y + trial.config.z + bonus });
  },
  import.meta.url,
  "talksBack",
);
