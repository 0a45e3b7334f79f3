/**
 * The one refusal every backend's `StoreTransaction` gives once it has committed or rolled back:
 * a callback that kept the transaction past its end (a retried store transaction runs the
 * callback again on a new one) must not write outside it.
 */
export function checkTransactionOpen(ended: boolean): void {
  if (ended) throw new Error("this transaction has ended; use the one now open");
}
