/**
 * A small typed event emitter with amltk's subscriber options.
 *
 * Events are declared up front; subscribing to a name that was not declared throws an error
 * naming it. Handlers run synchronously, in registration order.
 */
import { AmltkError } from "../shared/errors.js";

/**
 * Event names mapped to the argument lists their handlers receive.
 *
 * @example
 * ```ts
 * type JobEvents = { onStart: []; onProgress: [done: number, total: number] };
 * const events = new Emitter<JobEvents>(["onStart", "onProgress"]);
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: handler argument lists are heterogeneous
export type EventMap = Record<string, any[]>;

/**
 * A subscriber to an event whose arguments are `A`; its return value is ignored.
 *
 * @example
 * ```ts
 * const log: Handler<[Future, unknown]> = (future, result) => console.log(future.id, result);
 * scheduler.on("onFutureResult", log);
 * ```
 */
export type Handler<A extends unknown[]> = (...args: A) => unknown;

/**
 * How often and when a subscriber is called (amltk's `on(..., when=, max_calls=, repeat=,
 * every=)`).
 *
 * @example
 * ```ts
 * // Fill every worker at the start, then submit one more per result, 100 calls at most.
 * scheduler.on("onStart", () => task.submit(next()), { repeat: 4 });
 * task.on("onResult", () => task.submit(next()), { maxCalls: 96 });
 * task.on("onResult", (_f, r) => save(r), { when: (_f, r) => r !== undefined, every: 10 });
 * ```
 */
export interface SubscribeOptions<A extends unknown[] = unknown[]> {
  /** Only call the handler when the predicate holds for the emitted arguments. */
  when?: (...args: A) => boolean;
  /** Stop calling the handler after this many calls. */
  maxCalls?: number;
  /** Call the handler this many times per emission (e.g. to fill `maxWorkers`). */
  repeat?: number;
  /** Only call the handler on every n-th emission of the event (n, 2n, ...). */
  every?: number;
  /** Hidden subscribers are not listed by `subscribers()`. */
  hidden?: boolean;
}

interface Subscriber<A extends unknown[]> {
  handler: Handler<A>;
  options: SubscribeOptions<A>;
  calls: number;
}

/**
 * Thrown when subscribing to or emitting an event that was never declared; the message lists
 * the known events, so a typo such as `"onResults"` is caught at once.
 * Code `unknown_event`.
 *
 * @example
 * ```ts
 * try {
 *   task.on("onResults", handler);
 * } catch (e) {
 *   if (e instanceof UnknownEventError) console.error(e.message); // Known events: onSubmitted, ...
 * }
 * ```
 */
export class UnknownEventError extends AmltkError<"unknown_event"> {
  constructor(name: string, known: readonly string[]) {
    super(
      "unknown_event",
      `Unknown event "${name}". Known events: ${known.join(", ") || "(none)"}.`,
    );
    this.name = "UnknownEventError";
  }
}

/**
 * A typed event emitter: events are declared up front, handlers run synchronously in
 * registration order, and {@link SubscribeOptions} filter and repeat calls. `Scheduler` and
 * `Task` expose one as `events`.
 *
 * @example
 * ```ts
 * const events = new Emitter<{ onEpoch: [epoch: number, loss: number] }>(["onEpoch"]);
 * const off = events.on("onEpoch", (epoch, loss) => console.log(epoch, loss), { every: 5 });
 * events.emit("onEpoch", 5, 0.31); // returns the number of handler calls made
 * off(); // unsubscribe
 * ```
 */
export class Emitter<E extends EventMap> {
  readonly #subs = new Map<keyof E & string, Subscriber<unknown[]>[]>();
  readonly #counts = new Map<keyof E & string, number>();
  /** Receives errors thrown by handlers; when absent, they propagate out of `emit`. */
  onHandlerError?: (err: unknown, event: string) => void;

  constructor(names: readonly (keyof E & string)[]) {
    for (const n of names) this.#subs.set(n, []);
  }

  /** Declare further events (for plugins adding their own). */
  declare(...names: string[]): void {
    for (const n of names) if (!this.#subs.has(n)) this.#subs.set(n, []);
  }

  get eventNames(): string[] {
    return [...this.#subs.keys()];
  }

  has(name: string): boolean {
    return this.#subs.has(name);
  }

  on<K extends keyof E & string>(
    name: K,
    handler: Handler<E[K]>,
    options: SubscribeOptions<E[K]> = {},
  ): () => void {
    const list = this.#subs.get(name);
    if (!list) throw new UnknownEventError(name, this.eventNames);
    for (const k of ["maxCalls", "repeat", "every"] as const) {
      const v = options[k];
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
        throw new RangeError(`Option "${k}" must be a positive integer, got ${v}`);
      }
    }
    const sub: Subscriber<unknown[]> = {
      handler: handler as Handler<unknown[]>,
      options: options as SubscribeOptions<unknown[]>,
      calls: 0,
    };
    list.push(sub);
    return () => {
      const i = list.indexOf(sub);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Emit an event; returns the number of handler calls made. */
  emit<K extends keyof E & string>(name: K, ...args: E[K]): number {
    const list = this.#subs.get(name);
    if (!list) throw new UnknownEventError(name, this.eventNames);
    const n = (this.#counts.get(name) ?? 0) + 1;
    this.#counts.set(name, n);
    let made = 0;
    for (const sub of [...list]) {
      const { when, maxCalls, repeat = 1, every } = sub.options;
      if (every !== undefined && n % every !== 0) continue;
      if (when && !when(...args)) continue;
      for (let r = 0; r < repeat; r++) {
        if (maxCalls !== undefined && sub.calls >= maxCalls) break;
        sub.calls++;
        made++;
        try {
          sub.handler(...args);
        } catch (err) {
          if (!this.onHandlerError) throw err;
          this.onHandlerError(err, name);
        }
      }
    }
    return made;
  }

  /** How many times each event has been emitted (events never emitted are omitted). */
  get counts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  count(name: string): number {
    return this.#counts.get(name) ?? 0;
  }

  /** Visible subscribers per event (for introspection / display). */
  subscribers(name: keyof E & string): Handler<E[typeof name]>[] {
    const list = this.#subs.get(name);
    if (!list) throw new UnknownEventError(name, this.eventNames);
    return list.filter((s) => !s.options.hidden).map((s) => s.handler as Handler<E[typeof name]>);
  }
}
