/**
 * The scheduler host of host-signal-threads.test.ts: `node --import tsx <this> <dir>`. Runs two
 * tracked trials on worker threads, one busy logging and one idle, and prints "running" once
 * both are under way.
 */
import { existsSync } from "node:fs";
import { Scheduler } from "../../src/scheduling/scheduler.js";
import { logBusy, logThenWait } from "./host-signal-threads-trial.js";

const dir = process.argv[2] as string;
// Time for both threads to write and close their runs after the signal.
const scheduler = Scheduler.withThreads({ maxWorkers: 2, graceSeconds: 5 });
const busy = scheduler.task(logBusy);
const idle = scheduler.task(logThenWait);
const announce = () => {
  if (existsSync(`${dir}/busy.ready`) && existsSync(`${dir}/idle.ready`)) {
    process.stdout.write("running\n");
  } else scheduler.callLater(0.02, announce);
};
scheduler.on("onStart", () => {
  busy.submit(dir);
  idle.submit(dir);
  announce();
});
await scheduler.run({ onException: "continue" });
