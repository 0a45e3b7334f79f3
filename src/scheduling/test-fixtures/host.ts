/**
 * A scheduler host for the host-death tests, run as its own process:
 * `node --import tsx host.ts <dir> [user-exit]`.
 *
 * Starts two process workers, one spinning in a CPU-bound trial and one waiting, each with a
 * grandchild that ignores polite signals, and prints "running" once both trials have started.
 * With "user-exit" it also installs its own SIGINT handler that exits, as a user's would.
 */
import { existsSync } from "node:fs";
import { Scheduler } from "../scheduler.js";
import { occupyWorker } from "./fns.js";

const [dir, mode] = process.argv.slice(2) as [string, string | undefined];
if (mode === "user-exit") process.on("SIGINT", () => process.exit(0));

const scheduler = Scheduler.withProcesses({ maxWorkers: 2, graceSeconds: 0.5 });
const task = scheduler.task(occupyWorker);
const started = () => existsSync(`${dir}/spin.pid`) && existsSync(`${dir}/wait.pid`);
const announce = () => {
  if (started()) process.stdout.write("running\n");
  else scheduler.callLater(0.02, announce);
};
scheduler.on("onStart", () => {
  task.submit(dir, "spin", "spin");
  task.submit(dir, "wait", "wait");
  announce();
});
await scheduler.run({ onException: "continue" });
