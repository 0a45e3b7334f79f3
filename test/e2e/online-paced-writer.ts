/**
 * Child process of the PostgreSQL restart test:
 * `online-paced-writer.ts <dir> <baseUrl> <key> <runId> <rows>`. Logs `rows` rows in online
 * mode in slices of 100 with a short pause between them, so that its batches reach the server
 * over a few seconds (a steady writer, not one burst); prints "started" once a tenth of them is
 * logged, then finishes the run and prints "done".
 */
import { init } from "../../src/track/init.js";

const [dir, baseUrl, apiKey, id, rowsArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const run = await init({
  mode: "online",
  dir,
  baseUrl,
  apiKey,
  id,
  project: "restart",
  systemInterval: 0,
});
for (let i = 0; i < rows; i++) {
  run.log({ loss: 1 / (i + 1), i });
  if (i === Math.floor(rows / 10)) console.log("started");
  // Pacing, not synchronization: lets the ~100 ms flushes go out while the writer still logs.
  if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 3));
}
await run.finish();
console.log("done");
