/**
 * Worker side of the processes and threads executors (a forked child or a worker thread).
 *
 * Receives batches of jobs (`{ t: "run", jobs }`), runs them one at a time in order, and
 * replies once per job as soon as it is done (`{ t: "r", id, ok, v }` or `{ t: "r", id, e }`),
 * so that when the worker dies the host knows exactly which job was running: the first one
 * it has no reply for. Imported functions are cached per module/export, and a function that
 * returns a plain value is never awaited, so short calls cost no extra event-loop turns.
 */
import { readlinkSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { joinHostTermination } from "../../shared/termination-threads.js";
import { CommHandle } from "../plugins/comm-handle.js";
import { endOwnGroup, watchParent } from "./parent-watch.js";
import {
  fromJsonWire,
  type HostMsg,
  serializeError,
  toJsonWire,
  type WireJob,
  type WorkerMsg,
} from "./wire.js";

type Fn = (...args: unknown[]) => unknown;

// Threads: structured clone. Processes: a JSON channel (see toJsonWire).
const post: (m: WorkerMsg) => void = parentPort
  ? (m) => parentPort?.postMessage(m)
  : (m) => {
      const wire = toJsonWire(m); // throws for an uncloneable value: reply() says which part
      // The host is gone (its channel closed): nothing can reach it, and this worker ends
      // itself (the disconnect handler, the parent watch). A send now would only raise an
      // unhandled ERR_IPC_CHANNEL_CLOSED.
      if (process.connected) process.send?.(wire);
    };

const fns = new Map<string, Fn>();
const queue: WireJob[] = [];
const comms = new Map<number, CommHandle>();
let busy = false;
/** The host announced a graceful stop: the coming disconnect is not its death. */
let farewell = false;

async function load(job: WireJob): Promise<Fn> {
  const mod = (await import(job.m)) as Record<string, unknown>;
  const fn = mod[job.e];
  if (typeof fn !== "function")
    throw new TypeError(`Export "${job.e}" of ${job.m} is not a function`);
  fns.set(`${job.m}#${job.e}`, fn as Fn);
  return fn as Fn;
}

function reply(job: WireJob, ok: boolean, value: unknown): void {
  const comm = comms.get(job.id);
  if (comm) {
    comms.delete(job.id);
    comm.close(); // the host sees onCommClose before the result
  }
  if (!ok) {
    post({ t: "r", id: job.id, e: serializeError(value) });
    return;
  }
  try {
    post({ t: "r", id: job.id, ok: 1, v: value });
  } catch (e) {
    // The result cannot be cloned: say which part, instead of losing the reply.
    const err = new TypeError(
      `The result of "${job.e}" cannot be sent back to the host: ${(e as Error).message}`,
      { cause: e },
    );
    post({ t: "r", id: job.id, e: serializeError(err) });
  }
}

async function drain(): Promise<void> {
  busy = true;
  while (queue.length > 0) {
    const job = queue.shift() as WireJob;
    try {
      const fn = fns.get(`${job.m}#${job.e}`) ?? (await load(job));
      const comm = comms.get(job.id);
      if (job.w) post({ t: "start", id: job.id });
      let value: unknown;
      if (comm) {
        comm.open();
        value = fn(...job.a, comm);
      } else value = fn(...job.a);
      if (value !== null && typeof (value as Promise<unknown>)?.then === "function") {
        value = await value;
      }
      reply(job, true, value);
    } catch (e) {
      reply(job, false, e);
    }
  }
  busy = false;
}

function onMessage(m: HostMsg): void {
  if (m.t === "run") {
    for (const job of m.jobs) {
      queue.push(job);
      if (job.c !== undefined) {
        const id = job.id;
        comms.set(id, new CommHandle((msg) => post({ t: "c", id, ...msg }), job.c));
      }
    }
    if (!busy) void drain();
  } else if (m.t === "cancel") {
    const i = queue.findIndex((j) => j.id === m.id);
    // Not found: it already ran or is running; the host ignores its reply.
    if (i >= 0) {
      queue.splice(i, 1);
      comms.delete(m.id);
      post({ t: "r", id: m.id, s: 1 });
    }
  } else if (m.t === "c") {
    comms.get(m.id)?.deliver(m);
  } else if (m.t === "bye") {
    farewell = true;
  }
}

function threadId(): number | undefined {
  try {
    // "/proc/<pid>/task/<tid>": lets the host read this thread's CPU time.
    return Number(readlinkSync("/proc/thread-self").split("/").pop());
  } catch {
    return undefined;
  }
}

if (parentPort) {
  // Before any trial runs: the host's Ctrl-C reaches this thread's runs through this link.
  if (workerData?.termination) joinHostTermination(workerData.termination);
  parentPort.on("message", onMessage);
  post({ t: "hello", tid: threadId() });
} else {
  process.on("message", (m) => onMessage(fromJsonWire<HostMsg>(m)));
  // A send whose channel closed midway fails later, as an "error" event of the process.
  process.on("error", (e) => {
    if ((e as { code?: string }).code !== "ERR_IPC_CHANNEL_CLOSED" && process.connected) throw e;
  });
  // A graceful stop: exit, leaving alone what finished trials started. Otherwise the channel
  // closed because the host died: end everything this worker's trials started, too.
  process.on("disconnect", () => (farewell ? process.exit(0) : endOwnGroup()));
  // The host died while this worker started: its channel closed before the handler above
  // listened, and the parent watch would take the new parent (init) for the host.
  if (!process.connected) endOwnGroup();
  post({ t: "hello" });
  // After hello, so that the watchdog's start-up does not delay the first call.
  watchParent();
}
