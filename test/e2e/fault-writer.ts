/**
 * Child process of the fault suite: a training script that logs until it is killed.
 *
 * `fault-writer.ts <offline|online> <dir> <runId> <rows per batch> [baseUrl]`
 *
 * Every row is `{ a: step, b: step / 4 }`, so a stored value proves which step it came from.
 * After each batch of rows, and before yielding to the event loop, it writes
 * `p <rows> <epoch ms>` to stdout: `rows` rows (steps 0..rows-1) have returned from `run.log`
 * by that time. Stdout is a pipe, which Node writes synchronously on Linux, so a line is in the
 * kernel before the next row is logged. Node runs signal handlers only between event-loop
 * turns, so when SIGINT/SIGTERM/SIGHUP is handled the last line counts exactly what was logged;
 * under SIGKILL it is a lower bound, at most one batch behind.
 */
import { init } from "../../src/public/track.js";

const [mode, dir, id, batchArg, baseUrl] = process.argv.slice(2);
const batch = Number(batchArg);
if (!Number.isInteger(batch) || batch < 1) {
  throw new Error(`fault-writer: rows per batch must be a positive integer, got ${batchArg}`);
}
if (mode !== "offline" && mode !== "online") {
  throw new Error(`fault-writer: mode must be "offline" or "online", got ${JSON.stringify(mode)}`);
}
const run = await init({ mode, dir, id, baseUrl, project: "faults", systemInterval: 0 });

let rows = 0;
for (;;) {
  for (let k = 0; k < batch; k++, rows++) run.log({ a: rows, b: rows / 4 });
  process.stdout.write(`p ${rows} ${Date.now()}\n`);
  // A timer, not setImmediate: the tracker's flush timers and signal handlers get their turn.
  await new Promise((resolve) => setTimeout(resolve, 1));
}
