/**
 * The driver's Redis side: its connections (commands, the blocking pop of its list, BullMQ's
 * stalled checker), the loop that pops its messages, and the reconciliation timer. The
 * driver (`queue-executor.ts`) says what to do with each through {@link DriverHooks}.
 */
import type { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { ResolvedQueueOptions } from "./options.js";
import { STALLED_REQUEUES } from "./outcome.js";
import { type DriverMsg, driverKey } from "./protocol.js";
import { closeRedis, loadEngine } from "./redis.js";

/** Messages popped per `BLMPOP`. */
const POP_BATCH = 1000;

/** What the driver does with what its connections see. */
export interface DriverHooks {
  /** A message a worker pushed onto this driver's list. */
  message(msg: DriverMsg): void;
  /** Time for a reconciliation pass (timer, reconnect); `lost`: also look for lost runs. */
  reconcile(lost: boolean): void;
}

/** An open driver: see the module comment. */
export interface DriverConnections {
  /** Commands: BullMQ's queue, publishes, reconciliation reads. */
  readonly cmd: Redis;
  readonly queue: Queue;
  /** Stops the pop loop, the timer and the checker, and closes every connection. */
  close(): Promise<void>;
}

/** Opens the driver's connections and starts its pop loop, timer and stalled checker. */
export async function openDriverConnections(
  o: ResolvedQueueOptions,
  hooks: DriverHooks,
): Promise<DriverConnections> {
  const { Queue, Worker, connect } = await loadEngine();
  const cmd = connect(o.connection, `amltk-driver-${o.driverId}`);
  const reader = connect(o.connection, `amltk-driver-${o.driverId}-reader`);
  const queue = new Queue(o.queue, { connection: cmd, prefix: o.prefix });
  queue.on("error", () => {});
  // BullMQ's stalled check from here too, so a lost job is found with no worker left. The
  // checker never takes jobs (autorun off); like every checker it always requeues a stalled
  // job, and whether it may run again is decided per job (`lostRuns`, `queue-worker.ts`).
  const checkerConnection = connect(o.connection, `amltk-driver-${o.driverId}-checker`);
  const checker: Worker = new Worker(o.queue, null, {
    connection: checkerConnection,
    prefix: o.prefix,
    autorun: false,
    maxStalledCount: STALLED_REQUEUES,
    stalledInterval: o.stalledIntervalSeconds * 1000,
  });
  checker.on("error", () => {}); // reconnects are BullMQ's
  checker.on("stalled", () => hooks.reconcile(true));
  // A reconnect may follow a Redis restart: look for what finished (or vanished) meanwhile.
  cmd.on("ready", () => hooks.reconcile(true));
  const timer = setInterval(() => hooks.reconcile(false), o.reconcileSeconds * 1000);
  timer.unref();
  let open = true;
  const popping = popLoop(reader, driverKey(o.prefix, o.queue, o.driverId), () => open, hooks);
  void checker.startStalledCheckTimer().catch(() => {});
  return {
    cmd,
    queue,
    close: async () => {
      open = false;
      clearInterval(timer);
      reader.disconnect();
      await popping;
      await checker.close(true).catch(() => {});
      await queue.close().catch(() => {});
      await Promise.all([closeRedis(cmd), closeRedis(checkerConnection)]);
    },
  };
}

/** Pops this driver's messages, up to {@link POP_BATCH} per blocking call, while `open()`. */
async function popLoop(
  reader: Redis,
  key: string,
  open: () => boolean,
  hooks: DriverHooks,
): Promise<void> {
  while (open()) {
    let popped: unknown;
    try {
      popped = await reader.call("BLMPOP", 1, 1, key, "RIGHT", "COUNT", POP_BATCH);
    } catch {
      if (!open()) return;
      // Redis is away; ioredis reconnects. Wait for it instead of spinning.
      await new Promise<void>((r) => {
        reader.once("ready", r);
        setTimeout(r, 1000).unref();
      });
      continue;
    }
    if (!popped) continue;
    const [, items] = popped as [string, string[]];
    for (const raw of items) hooks.message(JSON.parse(raw) as DriverMsg);
  }
}
