/**
 * In-process executor (reusable after `shutdown`, which only drains or cancels the queue): runs one call at a time, always starting on a later turn of the
 * event loop so that completion is never synchronous with submission.
 */
import {
  type Call,
  type Executor,
  Future,
  isFunctionCall,
  type ShutdownOptions,
} from "./executor.js";

export class SequentialExecutor implements Executor {
  readonly maxWorkers = 1;
  #queue: { call: Call; future: Future<unknown> }[] = [];
  #busy = false;
  #idle: (() => void)[] = [];

  submit<T = unknown>(call: Call): Future<T> {
    const future = new Future<T>();
    const item = { call, future: future as Future<unknown> };
    future.setCanceller(() => {
      const i = this.#queue.indexOf(item);
      if (i >= 0) this.#queue.splice(i, 1);
      // Taken from the queue but not yet started still counts as cancellable.
      return future.state === "pending";
    });
    this.#queue.push(item);
    this.#pump();
    return future;
  }

  #pump(): void {
    if (this.#busy) return;
    const item = this.#queue.shift();
    if (!item) {
      for (const r of this.#idle.splice(0)) r();
      return;
    }
    this.#busy = true;
    setImmediate(async () => {
      const { call, future } = item;
      if (future.state === "pending") {
        future.state = "running";
        try {
          const v = isFunctionCall(call)
            ? await (call.fn as (...a: unknown[]) => unknown)(...call.args)
            : await callModule(call.moduleUrl, call.exportName, call.args);
          future.setResult(v);
        } catch (e) {
          future.setException(e);
        }
      }
      this.#busy = false;
      this.#pump();
    });
  }

  async shutdown({ wait }: ShutdownOptions): Promise<void> {
    if (!wait) {
      for (const { future } of this.#queue.splice(0)) future.cancel();
    }
    if (!this.#busy && this.#queue.length === 0) return;
    await new Promise<void>((r) => this.#idle.push(r));
  }
}

async function callModule(moduleUrl: string, exportName: string, args: unknown[]) {
  const mod = (await import(moduleUrl)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== "function") {
    throw new TypeError(`Export "${exportName}" of ${moduleUrl} is not a function`);
  }
  return fn(...args);
}
