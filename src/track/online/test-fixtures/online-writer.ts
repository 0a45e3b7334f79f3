/**
 * Child process for the online tests: `online-writer.ts <dir> <baseUrl> <key> <runId> <rows> <finish|exit>`.
 * Logs `rows` rows in online mode, then finishes (or just exits, leaving the exit hook to finish)
 * and prints "done" before the process ends.
 */
import { init } from "../../init.js";

const [dir, baseUrl, apiKey, id, rows, how] = process.argv.slice(2);
const run = await init({
  mode: "online",
  dir,
  baseUrl,
  apiKey,
  id,
  project: "online",
  systemInterval: 0,
});
for (let i = 0; i < Number(rows); i++) run.log({ loss: 1 / (i + 1), i });
if (how === "finish") await run.finish();
console.log("done");
