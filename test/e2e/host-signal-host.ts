/**
 * The scheduler host of host-signal.test.ts: `node --import tsx host-signal-host.ts <dir>`.
 * Runs one tracked trial on a worker process and prints "running" once it has logged.
 */
import { existsSync } from "node:fs";
import { Scheduler } from "../../src/scheduling/scheduler.js";
import { logUntilSignalled } from "./host-signal-trial.js";

const dir = process.argv[2] as string;
// Time for the worker's tracker to write and close its run after the signal reached it.
const scheduler = Scheduler.withProcesses({ maxWorkers: 1, graceSeconds: 5 });
const task = scheduler.task(logUntilSignalled);
const announce = () => {
  if (existsSync(`${dir}/worker.pid`)) process.stdout.write("running\n");
  else scheduler.callLater(0.02, announce);
};
scheduler.on("onStart", () => {
  task.submit(dir);
  announce();
});
await scheduler.run({ onException: "continue" });
