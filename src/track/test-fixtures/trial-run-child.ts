/**
 * Child process for trial-run.test.ts: `trial-run-child.ts <dir> <runId>`. Opens a run with
 * `initTrialRun` (its row waits for the run's first write), logs `{ x: 0..4 }`, prints "ready"
 * and keeps running until a signal ends it.
 */
import { initTrialRun } from "../init.js";

const [dir, id] = process.argv.slice(2);
const run = await initTrialRun({ dir, id, project: "trial-run", systemInterval: 0 });
for (let i = 0; i < 5; i++) run.log({ x: i });
process.stdout.write("ready\n");
setInterval(() => {}, 1_000); // alive until the signal
