/**
 * The queue executor as one more kind in the shared executor suites (`executors.test.ts`,
 * `trial-task-executors.test.ts`): a private redis-server and two `amltk worker` processes
 * (concurrency 2) for the whole file, one queue per file. Absent redis-server: the kind is
 * skipped with the reason printed (and the file fails under `CI=true`, see `redis.ts`).
 *
 * @example
 * ```ts
 * const queue = queueSuite("Scheduler on queue");
 * const KINDS = ["sequential", "threads", "processes", ...queue.kinds];
 * beforeAll(() => queue.start(), 60_000);
 * afterAll(() => queue.stop());
 * const s = queue.scheduler(2);
 * ```
 */
import { Scheduler } from "../../src/scheduling/scheduler.js";
import { type RedisServer, redisAvailability, startRedis } from "../services/redis.js";
import { skipBecause } from "../skip.js";
import { startWorker, stopAllWorkers } from "./queue-workers.js";

export interface QueueSuite {
  /** `["queue"]` when redis-server is there, `[]` otherwise (the skip is printed). */
  readonly kinds: "queue"[];
  /** Starts Redis and the workers (once; later calls wait for the first). */
  start(): Promise<void>;
  /** A scheduler on the suite's queue. */
  scheduler(maxWorkers: number): Scheduler;
  stop(): Promise<void>;
}

export function queueSuite(suite: string): QueueSuite {
  const { found, reason } = redisAvailability(suite);
  const kinds: "queue"[] = skipBecause(!found, `${suite} (queue executor)`, reason)
    ? []
    : ["queue"];
  const queue = `suite${process.pid}`;
  let redis: RedisServer | undefined;
  let starting: Promise<void> | undefined;
  return {
    kinds,
    start: () => {
      starting ??= (async () => {
        redis = await startRedis();
        const url = redis.url;
        await Promise.all([1, 2].map(() => startWorker(url, queue, { concurrency: 2, grace: 1 })));
      })();
      return starting;
    },
    scheduler: (maxWorkers) => {
      if (!redis) throw new Error("queueSuite: start() first");
      return Scheduler.withQueue({
        connection: redis.url,
        queue,
        maxWorkers,
        reconcileSeconds: 0.5,
      });
    },
    stop: async () => {
      await stopAllWorkers();
      await redis?.stop();
    },
  };
}
