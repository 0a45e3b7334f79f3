/**
 * The driver's acknowledgements: removing a finished job from Redis once its result is taken.
 * A call submitted with `holdResult` is not acknowledged when its future settles but when its
 * caller says so ({@link Acknowledgements.release}), after the result is durable elsewhere (a
 * sweep's journal); until then a driver that dies leaves the job for the next one to collect.
 */
import type { Queue } from "bullmq";
import type { ResolvedQueueOptions } from "./options.js";
import { closeRedis, loadEngine } from "./redis.js";

/** Removes jobs `ids` on a connection opened for it (the executor's own are closed). */
export async function removeJobs(o: ResolvedQueueOptions, ids: string[]): Promise<void> {
  const { Queue, connect } = await loadEngine();
  const cmd = connect(o.connection, `amltk-driver-${o.driverId}-acks`);
  const queue = new Queue(o.queue, { connection: cmd, prefix: o.prefix });
  try {
    await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)));
  } finally {
    await queue.close().catch(() => {});
    await closeRedis(cmd);
  }
}

export class Acknowledgements {
  #ids: string[] = [];
  #sending?: Promise<void>;
  /** Settled jobs whose result stays in Redis until released. */
  readonly #held = new Set<string>();
  /** Released before they settled. */
  readonly #early = new Set<string>();

  /**
   * `queue`: the open queue, or undefined once the executor closed; `removeClosed` removes
   * jobs released after that (a sweep's last tells commit after its scheduler stopped).
   */
  constructor(
    private readonly queue: () => Queue | undefined,
    private readonly removeClosed: (ids: string[]) => Promise<void>,
  ) {}

  /** A job settled: acknowledge it now, or keep it until released when `hold`. */
  settled(id: string, hold: boolean): void {
    const released = this.#early.delete(id);
    if (hold && !released) this.#held.add(id);
    else this.#queue(id);
  }

  /** The caller's go-ahead for a held job (`pendingHeld`: it is held and not settled yet). */
  release(id: string, pendingHeld: boolean): void {
    if (this.#held.delete(id)) this.#queue(id);
    else if (pendingHeld) this.#early.add(id);
  }

  /** Resolves once the acknowledgements made so far reached Redis. */
  async flush(): Promise<void> {
    await this.#sending;
  }

  /** Sends what is queued now (closing). */
  async sendNow(): Promise<void> {
    while (this.#ids.length > 0) {
      const queue = this.queue();
      const ids = this.#ids.splice(0);
      // Sent together: ioredis pipelines them on one connection.
      if (queue) await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)));
      else await this.removeClosed(ids).catch(() => {});
    }
    this.#sending = undefined;
  }

  #queue(id: string): void {
    this.#ids.push(id);
    this.#sending ??= this.#sendSoon();
  }

  async #sendSoon(): Promise<void> {
    // Jobs settled in the same turn are removed together.
    await new Promise<void>((r) => setImmediate(r));
    await this.sendNow();
  }
}
