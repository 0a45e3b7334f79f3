/**
 * Child process for the sync CLI tests: an online run driven by commands on stdin.
 *
 * `controlled-writer.ts <dir> <baseUrl> <runId>`; prints `ready` once the run is open. Commands,
 * one per line, each answered on stdout once done:
 * - `log <n>`: logs n rows `{ a: step, b: step / 4 }` (plus `odd: NaN` at step 7), then flushes
 *   (so the rows are in the outbox, hence in the spool); answers `logged <rows so far>`.
 * - `finish`: `run.finish()`; answers `finished <ms it took>`.
 * When stdin closes the script simply ends: the process must then exit on its own.
 */
import { createInterface } from "node:readline";
import { init } from "../../init.js";

const [dir, baseUrl, id] = process.argv.slice(2);
const run = await init({ mode: "online", dir, baseUrl, id, project: "sync", systemInterval: 0 });
let rows = 0;
console.log("ready");
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(" ");
  if (cmd === "log") {
    for (let i = 0; i < Number(arg); i++, rows++) {
      run.log({ a: rows, b: rows / 4, ...(rows === 7 ? { odd: Number.NaN } : {}) });
    }
    await run.flush();
    console.log(`logged ${rows}`);
  } else if (cmd === "finish") {
    const t0 = performance.now();
    await run.finish();
    console.log(`finished ${Math.round(performance.now() - t0)}`);
  } else {
    console.error(`controlled-writer: unknown command ${JSON.stringify(line)}`);
  }
}
