/**
 * Child process for the signal tests:
 * `signal-child.ts <dir> <runId> <countFile> <handler> [baseUrl apiKey]`
 *
 * Logs `{ x: i }` in a loop (offline, or online when a server is given) and after every log
 * writes how many rows it has logged to `countFile`, synchronously, so the parent knows exactly
 * what must be stored whenever the process ends. Prints "ready" once a first flush went out.
 *
 * `handler`:
 * - `none`: no signal handler of its own (the tracker's ends the process).
 * - `finish` (offline): its own SIGINT handler stops the loop; then it notes the run's stored
 *   state and row count ("after-signal <state> <stored>/<logged>"), logs 10 more rows, finishes
 *   the run with 0 and lets the process end normally (noting "finished").
 * - `hang`: its own SIGINT handler stops the loop and never finishes (a slow shutdown); a
 *   second Ctrl-C must end the process.
 */
import { appendFileSync, openSync, writeSync } from "node:fs";
import { SqliteStore } from "../../store/sqlite/index.js";
import { init } from "../init.js";

const [dir, id, countFile, handler, baseUrl, apiKey] = process.argv.slice(2);
const run = await init({
  dir,
  id,
  project: "signals",
  systemInterval: 0,
  ...(baseUrl ? { mode: "online" as const, baseUrl, apiKey } : {}),
});

const fd = openSync(countFile, "w");
let logged = 0;
function log(): void {
  run.log({ x: logged });
  logged++;
  // Fixed width at offset 0: the file always holds one whole number.
  writeSync(fd, String(logged).padStart(12), 0);
}

let stop = false;
if (handler !== "none") {
  process.on("SIGINT", () => {
    appendFileSync(`${countFile}.events`, "user-handler\n");
    stop = true;
  });
}

let ready = false;
while (!stop) {
  for (let k = 0; k < 50; k++) log();
  if (!ready && run.flushedStep >= 0) {
    ready = true;
    console.log("ready");
  }
  // Yield so that signals (and the background flusher) get their turn.
  await new Promise((r) => setImmediate(r));
}

if (handler === "finish") {
  // Right after the signal: what the store holds, read through a second connection.
  const reader = SqliteStore.openSync(dir);
  const rec = await reader.getRun(id);
  const stored = (await reader.historyKeys(id)).find((k) => k.key === "x")?.count ?? 0;
  reader.closeSync();
  appendFileSync(`${countFile}.events`, `after-signal ${rec?.state} ${stored}/${logged}\n`);
  // The run is still open after the signal: the user's code goes on and finishes it.
  for (let k = 0; k < 10; k++) log();
  await run.finish();
  appendFileSync(`${countFile}.events`, "finished\n");
} else {
  // A shutdown that never completes; the timer keeps the process alive.
  setInterval(() => {}, 1 << 30);
}
