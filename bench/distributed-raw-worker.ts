/**
 * A raw BullMQ worker for `bench/distributed.ts`: the same trivial jobs without amltk's layer
 * (no child process, no outcome encoding). `results` picks how the driver learns of a finished
 * job: "events" (BullMQ's QueueEvents stream, nothing to do here) or "list" (this worker pushes
 * the job id onto a Redis list after BullMQ recorded it, as amltk's workers do).
 *
 * `node --import tsx bench/distributed-raw-worker.ts <redisUrl> <queue> <concurrency> <events|list>`
 */
import { Worker } from "bullmq";
import { Redis } from "ioredis";

const [url, queue, concurrency, results] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];
const connection = new Redis(url, { maxRetriesPerRequest: null });
const push = new Redis(url, { maxRetriesPerRequest: null });
const worker = new Worker(queue, async (job) => (job.data as { i: number }).i + 1, {
  connection,
  concurrency: Number(concurrency),
});
if (results === "list") {
  worker.on("completed", (job, value) => {
    void push.lpush(`raw:${queue}:done`, `${job.id} ${value}`);
  });
}
await worker.waitUntilReady();
console.log("ready");
process.on("SIGTERM", () => {
  void worker.close(true).then(() => process.exit(0));
});
