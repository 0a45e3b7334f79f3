/**
 * The trial of host-signal.test.ts, imported by a worker process: it opens a tracked run
 * (offline, in `dir`), says it is running (`<dir>/worker.pid`) once 1,000 points are logged,
 * and logs until a signal ends it, yielding every 100 points as a real training loop would.
 */
import { renameSync, writeFileSync } from "node:fs";
import { importable } from "../../src/scheduling/executors/executor.js";
import { init } from "../../src/track/init.js";

export const logUntilSignalled = importable(
  async (dir: string) => {
    const run = await init({ mode: "offline", dir, project: "host-signal", id: "trial" });
    for (let i = 0; ; i++) {
      run.log({ x: i });
      if (i === 999) {
        // Aside, then renamed: the host announces as soon as the file exists, never half written.
        writeFileSync(`${dir}/worker.pid.tmp`, String(process.pid));
        renameSync(`${dir}/worker.pid.tmp`, `${dir}/worker.pid`);
      }
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
  },
  import.meta.url,
  "logUntilSignalled",
);
