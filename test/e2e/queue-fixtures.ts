/** Functions the queue executor's tests run on `amltk worker` processes. */
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { importable } from "../../src/scheduling/executors/executor.js";
import type { Trial } from "../../src/trial/index.js";

/** Records that it ran (one line per run in `dir/runs`), then returns x * x. */
export const countedSquare = importable(
  (dir: string, x: number) => {
    appendFileSync(join(dir, "runs"), `${x}\n`);
    return x * x;
  },
  import.meta.url,
  "countedSquare",
);

/**
 * Says it started (`dir/started-<tag>`, with this process's pid and its parent's), then waits
 * until `dir/release` exists and returns `tag`: lets a test act while the call is running.
 */
export const heldUntilReleased = importable(
  async (dir: string, tag: string) => {
    appendFileSync(join(dir, "runs"), `${tag}\n`);
    writeFileSync(join(dir, `started-${tag}`), `${process.pid} ${process.ppid}`);
    while (!existsSync(join(dir, "release"))) await new Promise((r) => setTimeout(r, 20));
    return tag;
  },
  import.meta.url,
  "heldUntilReleased",
);

/** A trial that counts its runs in `trial.config.dir/runs` and waits for `release`. */
export const heldTrial = importable(
  async (trial: Trial<{ dir: string; x: number }>) => {
    const { dir, x } = trial.config;
    appendFileSync(join(dir, "runs"), `${trial.name}\n`);
    writeFileSync(join(dir, `started-${trial.name}`), `${process.pid} ${process.ppid}`);
    while (!existsSync(join(dir, "release"))) await new Promise((r) => setTimeout(r, 20));
    return trial.success({ cost: x * x });
  },
  import.meta.url,
  "heldTrial",
);
