/**
 * A queue worker for the durable-sweep tests: `node --import tsx sweep-queue-worker.ts <redis
 * url>`. Serves the "sweeps" queue with one slot, short locks (a killed worker's job is found
 * stalled within seconds), and prints "ready" once it listens.
 */
import { fileURLToPath } from "node:url";
import { startQueueWorker } from "../../src/scheduling/executors/distributed/queue-worker.js";

const worker = await startQueueWorker({
  connection: process.argv[2] as string,
  queue: "sweeps",
  concurrency: 1,
  allow: [fileURLToPath(new URL("../..", import.meta.url))],
  lockSeconds: 2,
  stalledIntervalSeconds: 1,
  graceSeconds: 1,
});
process.once("SIGTERM", () => void worker.stop());
process.stdout.write("ready\n");
await worker.closed;
