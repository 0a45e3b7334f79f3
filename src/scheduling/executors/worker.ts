/**
 * Worker side of the processes and threads executors: runs in a forked child or a worker
 * thread. Receives
 * `{ id, moduleUrl, exportName, args }`, imports the module, calls the export and replies
 * `{ id, ok: true, value }` or `{ id, ok: false, error }`.
 */

interface Job {
  id: number;
  moduleUrl: string;
  exportName: string;
  args: unknown[];
}

function serializeError(e: unknown) {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: "Error", message: String(e) };
}

import { parentPort } from "node:worker_threads";

const reply = (m: unknown) => (parentPort ? parentPort.postMessage(m) : process.send?.(m));

async function run(job: Job): Promise<void> {
  try {
    const mod = (await import(job.moduleUrl)) as Record<string, unknown>;
    const fn = mod[job.exportName];
    if (typeof fn !== "function") {
      throw new TypeError(`Export "${job.exportName}" of ${job.moduleUrl} is not a function`);
    }
    const value = await fn(...job.args);
    reply({ id: job.id, ok: true, value });
  } catch (e) {
    reply({ id: job.id, ok: false, error: serializeError(e) });
  }
}

if (parentPort) parentPort.on("message", run);
else {
  process.on("message", run);
  // Exit when the parent goes away.
  process.on("disconnect", () => process.exit(0));
}
