/**
 * `Comm`: a two-way channel between the host and a running call, as a task plugin.
 *
 * The host side is here (task events `onCommOpen`, `onCommMessage`, `onCommRequest`,
 * `onCommClose`); the running call's side is {@link CommHandle}.
 */

import { checkOptionKeys, optionKeys } from "../../shared/options.js";
import type { CallChannel, CallExtras, ChannelMsg, Future } from "../executors/executor.js";
import { assertCloneable } from "../executors/wire.js";
import { type AnyFn, Plugin, type Task } from "../task.js";
import { CommClosedError, CommHandle } from "./comm-handle.js";

export { CommClosedError, CommHandle, CommTimeoutError, isCommHandle } from "./comm-handle.js";

/**
 * Task events a {@link CommPlugin} adds.
 *
 * @example
 * ```ts
 * const task = scheduler.task(work, { plugins: [new Comm.Plugin()] });
 * task.on("onCommOpen", (msg) => console.log("started", msg));
 * task.on("onCommRequest", (msg) => msg.respond({ lr: 0.01 }));
 * ```
 */
export type CommEvents = {
  /** The call started and its channel is open. */
  onCommOpen: [CommMessage];
  /** The call sent data with `comm.send(data)`. */
  onCommMessage: [CommMessage];
  /** The call asked with `comm.request(data)`; answer with `msg.respond(value)`. */
  onCommRequest: [CommMessage];
  /** The channel closed (the call called `close()`, ended, or its worker died). */
  onCommClose: [CommMessage];
};

export const COMM_EVENTS = ["onCommOpen", "onCommMessage", "onCommRequest", "onCommClose"] as const;

const EVENT_OF: Record<string, keyof CommEvents> = {
  open: "onCommOpen",
  message: "onCommMessage",
  request: "onCommRequest",
  close: "onCommClose",
};

/**
 * What a host-side Comm handler receives.
 *
 * @example
 * ```ts
 * task.on("onCommRequest", (msg) => msg.respond(lookup(msg.data)));
 * task.on("onCommOpen", (msg) => msg.send({ budget: 10 })); // to the call's comm.onMessage
 * task.on("onCommMessage", (msg) => console.log(msg.future.id, msg.data));
 * ```
 */
export class CommMessage {
  readonly kind: "open" | "message" | "request" | "close";
  /** The data sent (undefined for open/close). */
  readonly data: unknown;
  /** The future of the call this channel belongs to. */
  readonly future: Future<unknown>;
  readonly #channel: HostChannel;
  readonly #rid?: number;
  #responded = false;

  /** @internal */
  constructor(channel: HostChannel, msg: ChannelMsg, future: Future<unknown>) {
    this.#channel = channel;
    this.kind = msg.k as CommMessage["kind"];
    this.data = msg.d;
    this.#rid = msg.rid;
    this.future = future;
  }

  /** Answers a request. Only for `onCommRequest` messages, and only once. */
  respond(value: unknown): void {
    if (this.kind !== "request") {
      throw new TypeError(`Comm: only a request can be responded to, this is a "${this.kind}"`);
    }
    if (this.#responded) {
      throw new Error(
        `Comm: request ${this.#rid} of future ${this.future.id} was already answered`,
      );
    }
    assertCloneable(value, "Comm: the response", "value");
    this.#channel.post({ k: "response", rid: this.#rid, d: value }, "respond");
    this.#responded = true;
  }

  /** Sends data to the running call (its `comm.onMessage` handlers). */
  send(data: unknown): void {
    assertCloneable(data, "Comm: the data", "data");
    this.#channel.post({ k: "message", d: data }, "send");
  }
}

/** @internal The host end of one call's channel. */
export class HostChannel implements CallChannel {
  readonly requestTimeout: number;
  readonly #task: Task<AnyFn>;
  #post?: (msg: ChannelMsg) => void;
  #future?: Future<unknown>;
  #opened = false;
  #closed = false;
  #ended = false;

  constructor(task: Task<AnyFn>, requestTimeout: number) {
    this.#task = task;
    this.requestTimeout = requestTimeout;
  }

  open(post: (msg: ChannelMsg) => void, future: Future<unknown>): void {
    this.#post = post;
    this.#future = future;
  }

  post(msg: ChannelMsg, what: string): void {
    if (this.#closed || this.#ended || !this.#post) throw new CommClosedError(what);
    this.#post(msg);
  }

  receive(msg: ChannelMsg): void {
    const event = EVENT_OF[msg.k];
    if (!event || !this.#future || this.#closed) return;
    if (msg.k === "open") this.#opened = true;
    if (msg.k === "close") this.#closed = true;
    this.#emit(event, new CommMessage(this, msg, this.#future));
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    // Every opened channel gets a close event, also when the worker died mid-call.
    if (this.#opened && !this.#closed && this.#future) {
      this.#closed = true;
      this.#emit("onCommClose", new CommMessage(this, { k: "close" }, this.#future));
    }
  }

  #emit(event: keyof CommEvents, msg: CommMessage): void {
    const task = this.#task;
    // Handler errors follow the scheduler's onException policy, like other handler errors.
    task.scheduler.guard(() => task.events.emit(event, msg));
  }
}

/**
 * Options of {@link CommPlugin}.
 *
 * @example
 * ```ts
 * const options: CommOptions = { requestTimeout: 5 };
 * const task = scheduler.task(work, { plugins: [new Comm.Plugin(options)] });
 * ```
 */
export interface CommOptions {
  /**
   * Seconds a `comm.request` waits for a response unless it passes its own.
   * @defaultValue 30
   */
  requestTimeout?: number;
}

/**
 * The defaults of {@link CommOptions}, the ones {@link CommPlugin} uses.
 *
 * @example
 * ```ts
 * COMM_DEFAULTS.requestTimeout; // 30
 * ```
 */
export const COMM_DEFAULTS = Object.freeze({ requestTimeout: 30 });

const COMM_KEYS = optionKeys<CommOptions>({ requestTimeout: true });

/**
 * Gives each call of the task a two-way channel to the host. Works on the sequential,
 * threads and processes executors; all data must be structured-clone safe.
 *
 * @example
 * ```ts
 * export const work = importable(async (x: number, comm: Comm.Handle) => {
 *   comm.send({ started: x });
 *   return (await comm.request("factor?")) as number * x;
 * }, import.meta.url, "work");
 *
 * const task = scheduler.task(work, { plugins: [new Comm.Plugin({ requestTimeout: 5 })] });
 * task.on("onCommMessage", (msg) => console.log(msg.data));
 * task.on("onCommRequest", (msg) => msg.respond(3));
 * ```
 */
export class CommPlugin extends Plugin {
  readonly name = "comm";
  readonly requestTimeout: number;
  #task?: Task<AnyFn>;

  constructor(options: CommOptions = {}) {
    super();
    checkOptionKeys(options, COMM_KEYS, "Comm.Plugin");
    const t = options.requestTimeout ?? COMM_DEFAULTS.requestTimeout;
    if (typeof t !== "number" || Number.isNaN(t) || t <= 0) {
      throw new RangeError(`Comm.Plugin: requestTimeout must be a number of seconds > 0, got ${t}`);
    }
    this.requestTimeout = t;
  }

  override attachTask(task: Task<AnyFn>): void {
    this.#task = task;
    task.events.declare(...COMM_EVENTS);
  }

  override prepareCall(call: CallExtras): void {
    if (this.#task) call.channel = new HostChannel(this.#task, this.requestTimeout);
  }
}

/**
 * The Comm namespace: `new Comm.Plugin(options)` on the host, `Comm.Handle` in the call.
 *
 * @example
 * ```ts
 * const task = new Trial.Task(evaluate, scheduler, { plugins: [new Comm.Plugin()] });
 * // in evaluate: (trial.plugins.comm as Comm.Handle).send({ epoch: 1 });
 * ```
 */
export const Comm = {
  Plugin: CommPlugin,
  Handle: CommHandle,
  Message: CommMessage,
} as const;

/** Types reachable through `Comm`. */
export declare namespace Comm {
  type Plugin = CommPlugin;
  type Handle = CommHandle;
  type Message = CommMessage;
  type Options = CommOptions;
}
