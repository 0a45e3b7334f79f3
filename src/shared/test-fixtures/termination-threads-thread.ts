// The worker thread of termination-threads-child.ts: joins the host's termination, registers a
// cleanup that records what it got, says ready, then (by mode) spins on `checkTermination`
// without ever yielding, idles, or hangs inside its cleanup.
import { appendFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { onTermination } from "../termination.js";
import { checkTermination, joinHostTermination } from "../termination-threads.js";

const { termination, out, mode } = workerData;
joinHostTermination(termination);
onTermination((t) => {
  appendFileSync(out, `${JSON.stringify({ thread: true, ...t })}\n`);
  if (mode === "hang") for (;;);
});
parentPort!.postMessage("ready");
if (mode === "busy" || mode === "exit-busy") for (;;) checkTermination();
else setInterval(() => {}, 1_000);
