/**
 * Worker side of the distributed executor (`amltk worker`): takes jobs from a BullMQ queue
 * and runs each in a child process of a local {@link ProcessExecutor}, so limits (wall time,
 * CPU time, memory), process groups and crash detection are the processes executor's own, and
 * a trial that crashes or runs out of memory never takes the worker down.
 *
 * Per job: the modules it names are checked against the allowed roots (`allow.ts`) before
 * anything is imported; the call runs; its {@link Outcome} becomes the job's return value
 * (a user error is an outcome, so BullMQ never retries it) and, once BullMQ recorded the job
 * as completed, is pushed onto the driver's list. Comm messages go to the driver's list and
 * come back on this worker's pub/sub channel.
 *
 * Stopping ({@link QueueWorker.stop}, SIGTERM in `amltk worker`): take no new job, let the
 * running ones finish for `graceSeconds`, then stop their processes; a stopped call whose job
 * has a retry left (the driver's `retries`) is handed back (BullMQ moves it to wait and
 * another worker runs it), any other is reported crashed (`WorkerDiedError`) once.
 */
import { randomUUID } from "node:crypto";
import type { Job } from "bullmq";
import type { Redis, RedisOptions } from "ioredis";
import { checkOptionKeys, OptionError, optionKeys } from "../../../shared/options.js";
import type { CallChannel, ChannelMsg } from "../executor.js";
import { LimitExceededError } from "../limits.js";
import { WorkerDiedError } from "../pool.js";
import { ProcessExecutor } from "../processes.js";
import { RemoteError, serializeError, type WireError } from "../wire.js";
import { assertJobAllowed, resolveRoots } from "./allow.js";
import { lostRunMessage, STALLED_REQUEUES } from "./outcome.js";
import {
  type CallMsg,
  type DriverMsg,
  decodeArgs,
  decodeChannelMsg,
  driverKey,
  encodeChannelMsg,
  type Outcome,
  type QueueJobData,
  valueOutcome,
  workerInbox,
} from "./protocol.js";
import { closeRedis, loadEngine } from "./redis.js";

/**
 * Options of {@link startQueueWorker} (the flags of `amltk worker`).
 *
 * @example
 * ```ts
 * const options: QueueWorkerOptions = { connection: "redis://127.0.0.1:6379", queue: "sweep", concurrency: 4 };
 * const worker = await startQueueWorker(options);
 * ```
 */
export interface QueueWorkerOptions {
  /** Redis: a `redis://` URL or ioredis options. */
  connection: string | RedisOptions;
  /** The BullMQ queue to serve. */
  queue: string;
  /**
   * Jobs run at once (each in its own child process).
   * @defaultValue 1
   */
  concurrency?: number;
  /**
   * Folders whose modules jobs may run (realpath-checked); amltk's own modules are allowed.
   * @defaultValue [process.cwd()]
   */
  allow?: string[];
  /**
   * Seconds running jobs get to finish when the worker stops, before they are handed back or
   * reported crashed.
   * @defaultValue 30
   */
  graceSeconds?: number;
  /**
   * Seconds a job's lock lasts without renewal (renewed every half of it while the job runs):
   * how soon a killed worker's job is found stalled.
   * @defaultValue 30
   */
  lockSeconds?: number;
  /**
   * Seconds between stalled-job checks.
   * @defaultValue 30
   */
  stalledIntervalSeconds?: number;
  /**
   * BullMQ key prefix.
   * @defaultValue "bull"
   */
  prefix?: string;
  /** This worker's id (its Comm channel). @defaultValue a random UUID */
  workerId?: string;
}

/**
 * The defaults of {@link QueueWorkerOptions}.
 *
 * @example
 * ```ts
 * QUEUE_WORKER_DEFAULTS.graceSeconds; // 30
 * ```
 */
export const QUEUE_WORKER_DEFAULTS = Object.freeze({
  concurrency: 1,
  graceSeconds: 30,
  lockSeconds: 30,
  stalledIntervalSeconds: 30,
  prefix: "bull",
});

const KEYS = optionKeys<QueueWorkerOptions>({
  connection: true,
  queue: true,
  concurrency: true,
  allow: true,
  graceSeconds: true,
  lockSeconds: true,
  stalledIntervalSeconds: true,
  prefix: true,
  workerId: true,
});

/**
 * A running queue worker.
 *
 * @example
 * ```ts
 * const worker = await startQueueWorker({ connection: url, queue: "sweep" });
 * process.once("SIGTERM", () => void worker.stop());
 * await worker.closed;
 * ```
 */
export interface QueueWorker {
  readonly id: string;
  /** The realpath'd roots jobs' modules must be under. */
  readonly roots: readonly string[];
  /** Stop taking jobs, finish or hand back the running ones (see the module comment). */
  stop(): Promise<void>;
  /** Resolves once the worker stopped. */
  readonly closed: Promise<void>;
}

/** The host end of a running call's Comm channel, relayed through Redis to the driver. */
class RelayChannel implements CallChannel {
  #post?: (msg: ChannelMsg) => void;
  constructor(
    readonly requestTimeout: number,
    private readonly push: (msg: DriverMsg) => void,
    private readonly jobId: string,
    private readonly onEnd: () => void,
  ) {}
  open(post: (msg: ChannelMsg) => void): void {
    this.#post = post;
  }
  receive(msg: ChannelMsg): void {
    this.push({ ...encodeChannelMsg(msg), j: this.jobId, t: "c" } as DriverMsg);
  }
  deliver(msg: ChannelMsg): void {
    try {
      this.#post?.(msg);
    } catch {
      // The call ended meanwhile.
    }
  }
  end(): void {
    this.onEnd();
  }
}

function wireOf(e: unknown): WireError {
  if (!(e instanceof RemoteError)) return serializeError(e);
  const out: WireError = { name: e.name, message: e.message, stack: e.stack };
  if (e.remoteCode) out.code = e.remoteCode;
  if (e.cause !== undefined) out.cause = wireOf(e.cause);
  return out;
}

/**
 * Adds `token` (this take of the job: BullMQ's lock token) to the job's start list (`ams`) and
 * returns how many takes started it. Idempotent per token, because ioredis sends a command
 * again after a reconnect when its reply was lost (a Redis restart), and a second count of
 * one start would report a lost run that never was.
 */
const RECORD_START = `
local v = redis.call('HGET', KEYS[1], 'ams') or ''
if not string.find(',' .. v .. ',', ',' .. ARGV[1] .. ',', 1, true) then
  if v == '' then v = ARGV[1] else v = v .. ',' .. ARGV[1] end
  redis.call('HSET', KEYS[1], 'ams', v)
end
local n = 0
for _ in string.gmatch(v, '[^,]+') do n = n + 1 end
return n`;

async function recordStart(cmd: Redis, jobKey: string, token: string): Promise<number> {
  // EVALSHA once the script is cached (ioredis falls back to EVAL when Redis lost it).
  const scripted = cmd as Redis & {
    amltkRecordStart?: (key: string, token: string) => Promise<unknown>;
  };
  if (!scripted.amltkRecordStart)
    cmd.defineCommand("amltkRecordStart", { numberOfKeys: 1, lua: RECORD_START });
  return Number(
    await (scripted.amltkRecordStart as (key: string, token: string) => Promise<unknown>)(
      jobKey,
      token,
    ),
  );
}

/**
 * Reads `key` (this worker's inbox) with blocking pops on `conn`, its own connection, handing
 * each message to `deliver`, until stopped. A pop cut by a lost connection is sent again by
 * ioredis once Redis is back, and messages pushed meanwhile wait in the list.
 */
function readInbox(
  conn: Redis,
  key: string,
  deliver: (msg: CallMsg) => void,
): { stop(): Promise<void> } {
  let reading = true;
  const loop = (async () => {
    while (reading) {
      let popped: [string, string] | null;
      try {
        // Bounded, so that a stop is never stuck behind the pop for long.
        popped = await conn.blpop(key, 5);
      } catch {
        if (!reading || conn.status === "end") return;
        continue;
      }
      if (!popped) continue;
      try {
        deliver(JSON.parse(popped[1]) as CallMsg);
      } catch {
        // A message that is not ours: skipped.
      }
    }
  })();
  return {
    stop: async () => {
      reading = false;
      conn.disconnect(); // a blocked pop holds the connection: no polite QUIT behind it
      await loop;
    },
  };
}

/** What the driver gets for a call that ended with `error` in the local pool. */
function errorOutcome(error: unknown): Outcome {
  if (error instanceof LimitExceededError) return { limit: error.limit, value: error.value };
  if (error instanceof WorkerDiedError) return { died: error.message };
  return { e: wireOf(error) };
}

/**
 * Starts serving `queue`: see the module comment.
 *
 * @example
 * ```ts
 * const worker = await startQueueWorker({ connection: "redis://127.0.0.1:6379", queue: "sweep", concurrency: 4, allow: ["."] });
 * ```
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  checkOptionKeys(options, KEYS, "amltk worker");
  const o = { ...QUEUE_WORKER_DEFAULTS, ...options };
  if (!/^[A-Za-z0-9_.-]+$/.test(o.queue)) {
    throw new OptionError(
      "invalid_option",
      `amltk worker: the queue must be a name of letters, digits, "-", "_" or ".", got ${JSON.stringify(o.queue)}`,
      "queue",
    );
  }
  const id = o.workerId ?? randomUUID();
  const roots = resolveRoots(o.allow ?? [process.cwd()]);
  const local = new ProcessExecutor({ maxWorkers: o.concurrency, graceSeconds: 1 });
  const { Worker, connect } = await loadEngine();
  const cmd = connect(o.connection, `amltk-worker-${id}`);
  const sub = connect(o.connection, `amltk-worker-${id}-sub`);
  const relays = new Map<string, RelayChannel>();
  let handingBack = false;

  const push = (driver: string, msg: DriverMsg) =>
    void cmd.lpush(driverKey(o.prefix, o.queue, driver), JSON.stringify(msg)).catch(() => {});

  const inbox = readInbox(sub, workerInbox(o.prefix, o.queue, id), (msg) =>
    relays.get(msg.j)?.deliver(decodeChannelMsg(msg)),
  );

  async function run(job: Job<QueueJobData>, token?: string): Promise<Outcome> {
    const data = job.data;
    const jobId = job.id as string;
    let args: unknown[];
    try {
      args = decodeArgs(data);
      assertJobAllowed(data.m, args, roots);
    } catch (e) {
      return errorOutcome(e);
    }
    // Counted before the call starts, by the lock holder only: a job BullMQ hands out again
    // after its worker was lost had started (a lost run, reported crashed unless retries
    // allow another), or had not (its worker never got it, e.g. a reply lost in a Redis
    // restart: it simply runs now).
    const starts = await recordStart(cmd, bull.toKey(jobId), token ?? id);
    if (starts > data.r + 1) return { died: lostRunMessage(jobId, starts - 1, data.r) };
    let channel: RelayChannel | undefined;
    if (data.c !== undefined) {
      channel = new RelayChannel(
        data.c,
        (m) => push(data.d, m),
        jobId,
        () => relays.delete(jobId),
      );
      relays.set(jobId, channel);
      push(data.d, { j: jobId, t: "s", w: id });
    }
    const future = local.submit({
      moduleUrl: data.m,
      exportName: data.e,
      args,
      limits: data.l,
      channel,
    });
    try {
      return valueOutcome(await future.promise);
    } catch (e) {
      if (handingBack && e instanceof WorkerDiedError) {
        if (job.attemptsMade + 1 < (job.opts.attempts ?? 1)) {
          // BullMQ retries a failed job with attempts left: it goes back to wait.
          throw new Error(`amltk worker ${id} stopped before job ${jobId} ended: handed back`);
        }
        return {
          died:
            `amltk worker ${id} stopped (graceSeconds ${o.graceSeconds} passed) before job ` +
            `${jobId} ended; not run again: the call allows no retries`,
        };
      }
      return errorOutcome(e);
    }
  }

  const bullConnection = connect(o.connection, `amltk-worker-${id}-bull`);
  const bull = new Worker<QueueJobData, Outcome>(o.queue, run, {
    connection: bullConnection,
    prefix: o.prefix,
    concurrency: o.concurrency,
    lockDuration: o.lockSeconds * 1000,
    stalledInterval: o.stalledIntervalSeconds * 1000,
    // A stalled job always goes back to wait: whether it may run again is decided per job
    // from its start count (see run), so a job whose worker never began it is not lost.
    maxStalledCount: STALLED_REQUEUES,
  });
  bull.on("error", () => {}); // connection errors: BullMQ reconnects
  // After BullMQ recorded the job as completed: the driver may take and remove it at once.
  bull.on("completed", (job, outcome) => {
    push(job.data.d, { ...outcome, j: job.id as string, t: "r" } as DriverMsg);
  });
  await bull.waitUntilReady();

  let stopping: Promise<void> | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });

  async function stop(): Promise<void> {
    const closing = bull.close();
    const timer = setTimeout(() => {
      handingBack = true;
      void local.shutdown({ wait: false });
    }, o.graceSeconds * 1000);
    try {
      await closing;
    } finally {
      clearTimeout(timer);
    }
    await local.shutdown({ wait: true });
    await inbox.stop();
    await Promise.all([closeRedis(cmd), closeRedis(bullConnection)]);
    resolveClosed();
  }

  return {
    id,
    roots,
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
    closed,
  };
}
