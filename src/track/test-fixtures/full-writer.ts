/**
 * A writer whose store fills up: logs 1,000 rows (2 keys each) and flushes them, then caps its
 * connection at the database's current size (`max_page_count`), keeps logging until the store
 * refused a write, and prints `full <id> <flushedStep> <held>` (held: rows logged since the
 * last confirmed write, kept in memory). Then it idles until killed, or with argv[3] "exit"
 * it ends without `finish()`. argv: store folder, ["exit"].
 */
import { SqliteStore } from "../../store/sqlite/index.js";
import { init } from "../init.js";

const store = SqliteStore.openSync(process.argv[2]!);
let refused = false;
console.warn = (...args: unknown[]) => {
  if (String(args[0]).includes("is full")) refused = true;
  process.stderr.write(`${args.join(" ")}\n`);
};
const run = await init({
  project: "full",
  store,
  systemInterval: 0,
  maxBufferedBytes: 32 * 1024,
});
let step = 0;
for (; step < 1000; step++) run.log({ loss: step, acc: -step });
await run.flush();
const pages = store.db.pragma("page_count", { simple: true }) as number;
store.db.pragma(`max_page_count = ${pages}`);
// Until a write is refused; a bound, so a store that never fills ends the test instead.
while (!refused && step < 2_000_000) {
  for (const end = step + 1000; step < end; step++) run.log({ loss: step, acc: -step });
  await run.flush();
}
console.log(`full ${run.id} ${run.flushedStep} ${step - 1 - run.flushedStep}`);
// "exit": end without finish(), so the exit path closes the run; otherwise wait to be killed.
if (process.argv[3] !== "exit") setInterval(() => {}, 1000);
