/**
 * Child process of the W&B-protocol fault tests: `fault-writer.ts`'s training script on our
 * tracker's W&B protocol (`init({ mode: "online", protocol: "wandb" })`), logging until killed.
 *
 * `wandb-fault-writer.ts <dir> <runId> <rows per batch> <baseUrl> <apiKey>`
 *
 * Every row is `{ a: step, b: step / 4 }`; after each batch it writes `p <rows> <epoch ms>` to
 * stdout (a pipe: written synchronously), so under SIGINT/SIGTERM the last line counts exactly
 * what was logged, under SIGKILL a lower bound at most one batch behind (see fault-writer.ts).
 */
import { init } from "../../src/public/track.js";

const [dir, id, batchArg, baseUrl, apiKey] = process.argv.slice(2);
const batch = Number(batchArg);
if (!Number.isInteger(batch) || batch < 1) {
  throw new Error(`wandb-fault-writer: rows per batch must be a positive integer, got ${batchArg}`);
}
const run = await init({
  mode: "online",
  protocol: "wandb",
  dir,
  id,
  baseUrl,
  apiKey,
  project: "faults",
  systemInterval: 0,
});

let rows = 0;
for (;;) {
  for (let k = 0; k < batch; k++, rows++) run.log({ a: rows, b: rows / 4 });
  process.stdout.write(`p ${rows} ${Date.now()}\n`);
  // A timer, not setImmediate: the tracker's flush timers and signal handlers get their turn.
  await new Promise((resolve) => setTimeout(resolve, 1));
}
