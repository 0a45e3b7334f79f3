/**
 * The PostgreSQL store's connections: one bounded `pg.Pool`, transactions with retries of
 * transient failures, and the mapping of driver errors to `StoreError`s.
 *
 * Client library: `pg` 8. Measured here (loopback, one connection, 4,000 chunks of 256 float64
 * points, two runs): multi-row INSERT with `pg` 1.7-2.3 M points/s, `postgres` 3.4's insert
 * helper 1.6-1.9 M, `pg-copy-streams` text COPY 1.2-2.1 M. The one kept library with the
 * fastest chunk path, and a plain `Client` for LISTEN, so `pg` without COPY.
 */
import pg from "pg";
import { StoreError } from "../types.js";

/**
 * SQLSTATEs worth running a transaction again for: a serialization failure or deadlock (the
 * other transaction won), and a server shutting down or restarting under us.
 */
const TRANSIENT_SQLSTATES = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "57P01", // admin_shutdown (pg_ctl stop -m fast, restart)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down)
  "53300", // too_many_connections
  "08000",
  "08001",
  "08003",
  "08004",
  "08006", // connection exceptions
]);

const TRANSIENT_NODE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENOENT", // a Unix socket not there while the server restarts
  "ETIMEDOUT",
]);

/** Whether `err` is a failure that a retry on a fresh connection may get past. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NODE_CODES.has(code)))
    return true;
  // pg's own messages for a connection that went away (no code attached).
  // "timeout exceeded when trying to connect": every pooled connection stayed busy (a server
  // under more load than its pool): worth waiting for, like a lock.
  return /Connection terminated|connection error|Client has encountered a connection error|not queryable|timeout exceeded when trying to connect/i.test(
    err.message,
  );
}

/** A driver error as a StoreError where one fits (duplicate ids, unreachable database). */
export function storeErrorOf(err: unknown, url: string): unknown {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: unknown })?.code;
  if (code === "22021" || code === "22P05" || code === "54000") {
    // A NUL character (PostgreSQL text cannot hold U+0000), or a value over its size limits.
    return new StoreError(
      `PostgreSQL cannot store this value: ${(err as Error).message}`,
      "invalid",
      {
        cause: err,
      },
    );
  }
  if (isTransient(err)) {
    return new StoreError(
      `PostgreSQL at ${redact(url)} is unreachable or restarting: ${(err as Error).message}`,
      "busy",
      { cause: err },
    );
  }
  return err;
}

/** A URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@/]*@/, "$1:***@");
}

export interface RetryPolicy {
  /** Give up once this much time has passed since the first try. */
  retryForMs: number;
}

/** Waits `ms` (a backoff between retries of a failed database call, not a test sync). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `attempt` until it succeeds, fails with a non-transient error, or `retryForMs` ran out.
 * Backoff 25 ms doubling to 1 s.
 */
export async function withRetries<T>(policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
  const start = Date.now();
  let wait = 25;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTransient(err) || Date.now() - start + wait > policy.retryForMs) throw err;
      await pause(wait);
      wait = Math.min(wait * 2, 1000);
    }
  }
}

/** A pool whose idle clients' errors (a restarted server) are dropped, not thrown at the process. */
export function makePool(url: string, max: number, applicationName: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: applicationName,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 30_000,
  });
  // An idle client whose server went away emits "error" on the pool; the pool drops it.
  pool.on("error", () => {});
  // Every client, checked out or not, has a listener: a connection cut between two queries
  // (57P01 while the database restarts) is seen by the next query and retried, never thrown at
  // the process as an unhandled "error" event.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/**
 * Runs `fn` in BEGIN ... COMMIT on one pooled client; ROLLBACK when it throws. A client that
 * failed mid-way is destroyed rather than returned to the pool.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A connection lost between two queries is emitted as "error" on the client; unhandled, it
  // would end the process. Kept to destroy the client instead of pooling it.
  const onError = (err: Error) => {
    broken ??= err;
  };
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    const out = await fn(client);
    await client.query("COMMIT");
    return out;
  } catch (err) {
    try {
      await client.query("ROLLBACK");
    } catch (rollbackErr) {
      broken = rollbackErr as Error;
    }
    if (isTransient(err)) broken ??= err as Error;
    throw err;
  } finally {
    // A client released broken is ended by the pool, which stops listening to it; its socket may
    // still report the server's goodbye (57P01), which must not become an uncaught error.
    if (broken) client.on("error", () => {});
    client.removeListener("error", onError);
    client.release(broken);
  }
}
