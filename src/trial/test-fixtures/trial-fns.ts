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
