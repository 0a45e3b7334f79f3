/**
 * BullMQ and ioredis, loaded on first use: they cost about 20 MB and a few hundred ms to
 * import, and every process that imports amltk (each trial process of the processes executor
 * too) would pay that otherwise. Connections are made as BullMQ and the message loops need.
 */
import type { Queue, Worker } from "bullmq";
import type { Redis, RedisOptions } from "ioredis";

/** The classes of the distributed executor's engine, and a way to connect to Redis. */
export interface Engine {
  Queue: typeof Queue;
  Worker: typeof Worker;
  /**
   * A new ioredis connection to `connection` (a `redis://` URL or options). Commands wait
   * while Redis is away instead of failing (`maxRetriesPerRequest: null`, what BullMQ
   * requires), and reconnects back off up to 1 s, so a restarted Redis is picked up quickly.
   * Errors are left to the reconnects (an `error` listener is attached).
   */
  connect(connection: string | RedisOptions, name: string): Redis;
}

let engine: Promise<Engine> | undefined;

/** Imports BullMQ and ioredis once per process. */
export function loadEngine(): Promise<Engine> {
  engine ??= (async () => {
    const [bull, io] = await Promise.all([import("bullmq"), import("ioredis")]);
    const connect = (connection: string | RedisOptions, name: string): Redis => {
      const options: RedisOptions = {
        maxRetriesPerRequest: null,
        enableReadyCheck: true,
        connectionName: name,
        retryStrategy: (times) => Math.min(50 * times, 1000),
      };
      const redis =
        typeof connection === "string"
          ? new io.Redis(connection, options)
          : new io.Redis({ ...connection, ...options });
      redis.on("error", () => {});
      return redis;
    };
    return { Queue: bull.Queue, Worker: bull.Worker, connect };
  })();
  return engine;
}

/** Closes `redis` politely when it is connected, at once otherwise. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "ready") {
    await redis.quit().catch(() => redis.disconnect());
  } else redis.disconnect();
}
