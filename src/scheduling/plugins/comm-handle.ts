/**
 * The worker side of `Comm`: the handle a running call uses to talk to the host. It runs in
 * a worker thread, a worker process, or (sequential executor) the host process itself; it
 * only needs a function that posts a {@link ChannelMsg} to the host.
 */

import { AmltkError } from "../../shared/errors.js";
import type { ChannelMsg } from "../executors/executor.js";
import { assertCloneable } from "../executors/wire.js";

/**
 * A `request` got no response in time.
 * Code `comm_timeout`.
 *
 * @example
 * ```ts
 * try { await comm.request("lr?", { timeout: 1 }); }
 * catch (e) { if (e instanceof CommTimeoutError) useDefault(); }
 * ```
 */
export class CommTimeoutError extends AmltkError<"comm_timeout"> {
  constructor(seconds: number) {
    super(
      "comm_timeout",
      `Comm.request: no response within ${seconds}s. Answer it on the host with ` +
        `task.on("onCommRequest", (msg) => msg.respond(value)), or pass a longer { timeout }.`,
    );
    this.name = "CommTimeoutError";
  }
}

/**
 * The channel was closed (by `close()` or because the call ended).
 * Code `comm_closed`.
 *
 * @example
 * ```ts
 * comm.close();
 * comm.send(1); // throws CommClosedError
 * ```
 */
export class CommClosedError extends AmltkError<"comm_closed"> {
  constructor(what: string) {
    super("comm_closed", `Comm: cannot ${what}: the channel is closed`);
    this.name = "CommClosedError";
  }
}

const BRAND = Symbol.for("amltk.comm.handle");

/** Whether `v` is a {@link CommHandle} (true across module copies). */
export function isCommHandle(v: unknown): v is CommHandle {
  return typeof v === "object" && v !== null && (v as { [BRAND]?: true })[BRAND] === true;
}

/**
 * The running call's end of a `Comm` channel: passed as the extra last argument of a plain
 * task's function, and as `trial.plugins.comm` to a `Trial.Task` function.
 *
 * @example
 * ```ts
 * export const work = importable(async (x: number, comm: CommHandle) => {
 *   comm.send({ progress: 0.5 });
 *   const lr = await comm.request("learning rate?", { timeout: 5 });
 *   return x * (lr as number);
 * }, import.meta.url, "work");
 * ```
 */
export class CommHandle {
  readonly [BRAND] = true;
  readonly #post: (msg: ChannelMsg) => void;
  readonly #timeout: number;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void; timer?: NodeJS.Timeout }
  >();
  readonly #listeners: ((data: unknown) => void)[] = [];
  #nextRid = 0;
  #closed = false;

  /** @internal Built by the executor; `requestTimeout` in seconds. */
  constructor(post: (msg: ChannelMsg) => void, requestTimeout: number) {
    this.#post = post;
    this.#timeout = requestTimeout;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends `data` to the host (task event `onCommMessage`). Must be structured-clone safe. */
  send(data: unknown): void {
    if (this.#closed) throw new CommClosedError("send");
    assertCloneable(data, "Comm.send: the data", "data");
    this.#post({ k: "message", d: data });
  }

  /**
   * Asks the host (task event `onCommRequest`, answered with `msg.respond(value)`) and
   * resolves with its response; rejects with {@link CommTimeoutError} after `timeout` seconds.
   */
  request(data: unknown, options: { timeout?: number } = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(new CommClosedError("request"));
    const timeout = options.timeout ?? this.#timeout;
    if (!(timeout > 0)) {
      return Promise.reject(new RangeError(`Comm.request: timeout must be > 0 s, got ${timeout}`));
    }
    try {
      assertCloneable(data, "Comm.request: the data", "data");
    } catch (e) {
      return Promise.reject(e);
    }
    const rid = ++this.#nextRid;
    return new Promise((resolve, reject) => {
      const timer = Number.isFinite(timeout)
        ? setTimeout(() => {
            this.#pending.delete(rid);
            reject(new CommTimeoutError(timeout));
          }, timeout * 1000)
        : undefined;
      this.#pending.set(rid, { resolve, reject, timer });
      this.#post({ k: "request", rid, d: data });
    });
  }

  /** Calls `handler` with each `msg.send(data)` of the host. Returns an unsubscribe function. */
  onMessage(handler: (data: unknown) => void): () => void {
    this.#listeners.push(handler);
    return () => {
      const i = this.#listeners.indexOf(handler);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Closes the channel (host event `onCommClose`); pending requests reject. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { reject, timer } of this.#pending.values()) {
      clearTimeout(timer);
      reject(new CommClosedError("wait for a response"));
    }
    this.#pending.clear();
    this.#post({ k: "close" });
  }

  /** @internal The executor announces the call's start. */
  open(): void {
    this.#post({ k: "open" });
  }

  /** @internal A message from the host: a response to a request, or `msg.send` data. */
  deliver(msg: ChannelMsg): void {
    if (msg.k === "response" && msg.rid !== undefined) {
      const p = this.#pending.get(msg.rid);
      if (!p) return;
      this.#pending.delete(msg.rid);
      clearTimeout(p.timer);
      p.resolve(msg.d);
    } else if (msg.k === "message" && !this.#closed) {
      for (const l of [...this.#listeners]) l(msg.d);
    }
  }
}
