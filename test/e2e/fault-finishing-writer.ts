/**
 * Child process of the server-kill tests: `fault-writer.ts`'s online training script that
 * finishes its run when told to, instead of being killed.
 *
 * `fault-finishing-writer.ts <dir> <runId> <rows per batch> <baseUrl>`
 *
 * Logs rows `{ a: step, b: step / 4 }` and writes `p <rows> <epoch ms>` after each batch (see
 * fault-writer.ts) until it gets SIGUSR2; then it finishes the run (`run.finish()`, which
 * delivers what it can within its bound and leaves the rest in the spool for `amltk sync`) and
 * prints `done <rows>`: every one of those rows is owed to the server.
 */
import { init } from "../../src/public/track.js";

const [dir, id, batchArg, baseUrl] = process.argv.slice(2);
const batch = Number(batchArg);
if (!Number.isInteger(batch) || batch < 1) {
  throw new Error(
    `fault-finishing-writer: rows per batch must be a positive integer, got ${batchArg}`,
  );
}
let finishing = false;
process.once("SIGUSR2", () => {
  finishing = true;
});
const run = await init({ mode: "online", dir, id, baseUrl, project: "faults", systemInterval: 0 });

let rows = 0;
while (!finishing) {
  for (let k = 0; k < batch; k++, rows++) run.log({ a: rows, b: rows / 4 });
  process.stdout.write(`p ${rows} ${Date.now()}\n`);
  // A timer, not setImmediate: the tracker's flush timers and the signal handler get their turn.
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await run.finish();
process.stdout.write(`done ${rows}\n`);
