/**
 * The trials of host-signal-threads.test.ts, imported by worker threads. Each opens a tracked
 * run (offline, in `dir`, id = its name) and keeps `<dir>/<name>.count` equal to the number of
 * `log` calls that returned, written synchronously after each one, so the test knows exactly
 * what was logged however the process ends. `<dir>/<name>.ready` says it is under way.
 */
import { openSync, writeFileSync, writeSync } from "node:fs";
import { importable } from "../../src/scheduling/executors/executor.js";
import { init } from "../../src/track/init.js";

function counter(dir: string, name: string): (n: number) => void {
  const fd = openSync(`${dir}/${name}.count`, "w");
  // Fixed width at offset 0: each write replaces the last, whole.
  return (n) => writeSync(fd, String(n).padStart(12), 0);
}

/** Logs in a loop that never yields: only `log` itself can learn that the host is ending. */
export const logBusy = importable(
  async (dir: string) => {
    const run = await init({ mode: "offline", dir, project: "host-signal", id: "busy" });
    const count = counter(dir, "busy");
    for (let i = 0; ; i++) {
      run.log({ x: i });
      count(i + 1);
      if (i === 999) writeFileSync(`${dir}/busy.ready`, "");
    }
  },
  import.meta.url,
  "logBusy",
);

/** Logs 50 points, then awaits something that never comes: an idle thread. */
export const logThenWait = importable(
  async (dir: string) => {
    const run = await init({ mode: "offline", dir, project: "host-signal", id: "idle" });
    const count = counter(dir, "idle");
    for (let i = 0; i < 50; i++) {
      run.log({ x: i });
      count(i + 1);
    }
    writeFileSync(`${dir}/idle.ready`, "");
    await new Promise(() => {});
  },
  import.meta.url,
  "logThenWait",
);
