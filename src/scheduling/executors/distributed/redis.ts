/** ioredis connections as BullMQ and the driver/worker message loops need them. */
import { Redis, type RedisOptions } from "ioredis";

/**
 * A new ioredis connection to `connection` (a `redis://` URL or options). Commands wait while
 * Redis is away instead of failing (`maxRetriesPerRequest: null`, what BullMQ requires), and
 * reconnects back off up to 1 s, so a restarted Redis is picked up quickly.
 */
export function connectRedis(connection: string | RedisOptions, name: string): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: name,
    retryStrategy: (times) => Math.min(50 * times, 1000),
  };
  return typeof connection === "string"
    ? new Redis(connection, options)
    : new Redis({ ...connection, ...options });
}

/** Closes `redis` politely when it is connected, at once otherwise. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "ready") {
    await redis.quit().catch(() => redis.disconnect());
  } else redis.disconnect();
}
