/**
 * The trial function of the durable-sweep tests, imported by worker processes: it appends
 * `<pid> <trial name>` to the file `AMLTK_SWEEP_LOG` names (so a test can count evaluations and
 * kill leftover workers), waits `AMLTK_SWEEP_TRIAL_MS`, appends `<pid> <trial name> end`, and
 * reports two metrics.
 */
import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { importable } from "../../src/scheduling/executors/executor.js";
import type { TrialReport } from "../../src/trial/report.js";
import type { Trial } from "../../src/trial/trial.js";

export const evaluate = importable(
  async (trial: Trial): Promise<TrialReport> => {
    const log = process.env.AMLTK_SWEEP_LOG;
    if (log) appendFileSync(log, `${process.pid} ${trial.name}\n`);
    const ms = Number(process.env.AMLTK_SWEEP_TRIAL_MS ?? 0);
    if (ms > 0) await sleep(ms);
    if (log) appendFileSync(log, `${process.pid} ${trial.name} end\n`);
    const x = trial.config.x as number;
    const y = trial.config.y as number;
    const values: Record<string, number> = { loss: (x - 0.3) ** 2 + (y + 0.2) ** 2 };
    if ("f2" in trial.metrics) values.f2 = (1 - x) ** 2 + y * y;
    return trial.success(values);
  },
  import.meta.url,
  "evaluate",
);
