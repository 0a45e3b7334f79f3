/**
 * One transaction at a time per store. A store's transaction callback is async (a networked
 * backend needs that), so two requests could otherwise open transactions that interleave on one
 * connection; the queue starts the next one only after the previous one has ended.
 */
export class TransactionQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * Runs `fn` after every transaction queued before it has settled.
   *
   * @example
   * ```ts
   * const queue = new TransactionQueue();
   * const [a, b] = await Promise.all([queue.run(async () => 1), queue.run(async () => 2)]);
   * ```
   */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn);
    // The queue goes on after a failed transaction; its caller still sees the error.
    this.#tail = next.catch(() => {});
    return next;
  }
}
