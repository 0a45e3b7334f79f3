/**
 * A driver process for the queue tests: submits `count` calls of `countedSquare` with job ids
 * `<prefix><i>` to `queue`, prints "submitted" once they are in Redis, then waits for results
 * (printing "result <id> <value>" for each) until it is killed or all are in.
 *
 * `node --import tsx test/e2e/queue-driver.ts <redisUrl> <queue> <driverId> <prefix> <count> <dir>`
 */
import { QueueExecutor } from "../../src/scheduling/executors/distributed/queue-executor.js";
import { moduleOf } from "../../src/scheduling/executors/executor.js";
import { countedSquare } from "./queue-fixtures.js";

const [url, queue, driverId, prefix, count, dir] = process.argv.slice(2) as string[];
const executor = new QueueExecutor({
  connection: url as string,
  queue: queue as string,
  maxWorkers: 1,
  driverId,
});
const futures = Array.from({ length: Number(count) }, (_, i) =>
  executor.submit<number>({
    fn: countedSquare,
    module: moduleOf(countedSquare),
    args: [dir, i],
    jobId: `${prefix}${i}`,
  }),
);
const deadline = Date.now() + 30_000;
while ((await executor.listJobs(prefix)).length < futures.length && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 20));
}
console.log("submitted");
for (const [i, f] of futures.entries()) {
  f.promise.then((v) => console.log(`result ${prefix}${i} ${v}`));
}
await Promise.all(futures.map((f) => f.promise));
await executor.shutdown({ wait: true });
