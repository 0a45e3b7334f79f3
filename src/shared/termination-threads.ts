/**
 * Termination cleanups for worker threads. Node delivers SIGINT, SIGTERM and SIGHUP to the
 * main thread only, so a tracked run opened in a worker thread would keep only what its last
 * flush wrote when the process is killed. Here the host (the thread that started the worker)
 * runs each live thread's own `onTermination` cleanups for it, before the process ends:
 *
 * - at start, the host hands each thread a link: a shared state cell and a message port;
 * - when the host is signalled and ending (or exits: then as for SIGTERM), it writes the signal's exit code into every link's
 *   cell, posts a note on its port, and blocks (`Atomics.wait`; the process is ending, so there
 *   is no event loop to wait on) until every thread acknowledged or the grace passed;
 * - the thread runs its cleanups once, either from the note (a thread that awaits or is idle
 *   gets it on its event loop) or from {@link checkTermination}, a cheap read of the cell that
 *   the tracker calls in `Run.log` (a thread busy in a logging loop never returns to its event
 *   loop); then it acknowledges and parks, so nothing it does after its runs closed is taken
 *   for stored.
 *
 * A thread busy in computation that never calls `log` cannot be reached: it keeps only what its
 * runs flushed before the signal (they flush about every 100 ms).
 *
 * A note on the choice of the message: `Atomics.waitAsync` would need no port, but a notify
 * sent while the host blocks was lost in 2 of 10 runs (Node 20); a port message never was.
 */
import { MessageChannel, type MessagePort } from "node:worker_threads";
import {
  onTermination,
  runCleanups,
  TERMINATION_SIGNALS,
  type Termination,
  type TerminationSignal,
} from "./termination.js";

/** Cells of a link's shared state. */
const CODE = 0; // the signal's exit code once the host is ending; 0 before
const JOINED = 1; // 1 once the thread listens
const ACKED = 2; // 1 once the thread ran its cleanups

/** What a worker thread is handed at start (in `workerData`; the port in `transferList`). */
export interface ThreadTerminationLink {
  state: SharedArrayBuffer;
  port: MessagePort;
}

interface HostLink {
  cell: Int32Array;
  port: MessagePort;
  graceMs: number;
}

const links = new Set<HostLink>();
let stopHost: (() => void) | undefined;

/**
 * Host side: a link for one worker thread about to start, and `release` to call once it has
 * exited. While any link is live, a termination signal that ends this process, or its exit,
 * first runs every linked thread's cleanups, waiting up to `graceMs` (the longest of the live
 * links) in all.
 *
 * @example
 * ```ts
 * const { link, release } = linkThreadTermination(1000);
 * const worker = new Worker(entry, { workerData: { termination: link }, transferList: [link.port] });
 * worker.once("exit", release);
 * ```
 */
export function linkThreadTermination(graceMs: number): {
  link: ThreadTerminationLink;
  release: () => void;
} {
  if (typeof graceMs !== "number" || !(graceMs >= 0)) {
    throw new RangeError(`graceMs must be a number >= 0, got ${graceMs}`);
  }
  const state = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
  const { port1, port2 } = new MessageChannel();
  port1.unref(); // the host only writes to it: it must not keep the process alive
  const host: HostLink = { cell: new Int32Array(state), port: port1, graceMs };
  links.add(host);
  if (!stopHost) {
    const stopSignals = onTermination(endThreads);
    process.on("exit", onHostExit);
    stopHost = () => {
      stopSignals();
      process.removeListener("exit", onHostExit);
    };
  }
  return {
    link: { state, port: port2 },
    release: () => {
      if (!links.delete(host)) return;
      host.port.close();
      if (links.size === 0) {
        stopHost?.();
        stopHost = undefined;
      }
    },
  };
}

/**
 * The host's cleanup: tells every linked thread, then waits for those that listen. Only when
 * the process is ending; otherwise a user's handler decides and the threads' runs go on.
 */
function endThreads({ signal, exitCode, ending }: Termination): void {
  if (!ending || links.size === 0) return;
  const all = [...links];
  for (const l of all) {
    Atomics.store(l.cell, CODE, exitCode);
    try {
      l.port.postMessage(signal);
    } catch {
      // its thread is gone
    }
  }
  const deadline = performance.now() + Math.max(...all.map((l) => l.graceMs));
  for (const l of all) {
    // A thread that never joined (still starting) has no cleanups yet; it parks when it joins.
    while (Atomics.load(l.cell, JOINED) === 1 && Atomics.load(l.cell, ACKED) === 0) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      Atomics.wait(l.cell, ACKED, 0, left);
    }
  }
}

/**
 * The host exits (`process.exit`, or its script ends) with threads still running: Node stops
 * them without their `exit` hooks, so they are ended as a SIGTERM would (as worker processes
 * are, `worker-groups.ts`): a tracked run closes as failed (143) with what it logged.
 */
function onHostExit(): void {
  endThreads({ signal: "SIGTERM", exitCode: TERMINATION_SIGNALS.SIGTERM, ending: true });
}

/** This thread's link, once joined: `checkTermination` reads its cell. */
let own: Int32Array | null = null;
let ran = false;
/** Calls of `checkTermination` between two reads of the cell. */
const CHECK_EVERY = 32;
let untilCheck = CHECK_EVERY;

/**
 * Thread side: listens on the host's link (call once, early in a worker thread). From then on
 * the host's termination runs this thread's `onTermination` cleanups.
 *
 * @example
 * ```ts
 * import { workerData } from "node:worker_threads";
 * if (workerData?.termination) joinHostTermination(workerData.termination);
 * ```
 */
export function joinHostTermination(link: ThreadTerminationLink): void {
  own = new Int32Array(link.state);
  link.port.on("message", () => endThisThread());
  link.port.unref(); // listening must not keep an idle thread alive
  Atomics.store(own, JOINED, 1);
  // Told before it listened: nothing of its own to clean yet, but it must not go on either.
  if (Atomics.load(own, CODE) !== 0) endThisThread();
}

/**
 * Runs this thread's termination cleanups now if its host is ending (and then never returns);
 * otherwise returns at once (it reads the shared cell on every 32nd call only). Code that may
 * keep a thread busy without returning to its event loop calls it: the tracker does in
 * `Run.log`. In the main thread, or a thread with no host link, it does nothing.
 *
 * @example
 * ```ts
 * for (;;) {
 *   checkTermination();
 *   work();
 * }
 * ```
 */
export function checkTermination(): void {
  // An atomic read costs ~10 ns here, a countdown ~1 ns, so only every CHECK_EVERY-th call
  // reads the cell. Calls in between are still safe: what they log is held in memory, and the
  // cleanup, when it runs, writes it; nothing logged after the cleanup returns.
  if (own !== null && --untilCheck <= 0) {
    untilCheck = CHECK_EVERY;
    if (Atomics.load(own, CODE) !== 0) endThisThread();
  }
}

function endThisThread(): void {
  const cell = own as Int32Array;
  const exitCode = Atomics.load(cell, CODE);
  if (!ran) {
    ran = true;
    runCleanups({ signal: signalOf(exitCode), exitCode, ending: true });
    Atomics.store(cell, ACKED, 1);
    Atomics.notify(cell, ACKED);
  }
  // Park until the process ends (moments away): whatever the thread would do next, such as
  // logging to a run that is now closed, must not look done.
  for (;;) Atomics.wait(cell, CODE, exitCode);
}

function signalOf(exitCode: number): TerminationSignal {
  const found = Object.entries(TERMINATION_SIGNALS).find(([, code]) => code === exitCode);
  return (found?.[0] ?? "SIGTERM") as TerminationSignal;
}
