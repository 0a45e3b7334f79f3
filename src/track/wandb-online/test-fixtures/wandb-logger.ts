/**
 * Child process for the W&B-online kill test: `wandb-logger.ts <dir> <baseUrl> <key> <runId>`
 * logs to a W&B-protocol server until killed, printing "flushed <step>" each time the run has
 * written a higher step to its spool (what must survive a kill -9).
 */
import { init } from "../../init.js";

const [dir, baseUrl, apiKey, id] = process.argv.slice(2);
const run = await init({
  dir,
  id,
  project: "wb-online",
  mode: "online",
  protocol: "wandb",
  baseUrl,
  apiKey,
  systemInterval: 0,
});
let reported = -1;
let i = 0;
for (;;) {
  for (let k = 0; k < 50; k++, i++) run.log({ x: i, y: -i });
  const flushed = run.flushedStep;
  if (flushed > reported) {
    reported = flushed;
    console.log(`flushed ${flushed}`);
  }
  await new Promise((r) => setTimeout(r, 2));
}
