/**
 * Worker side of the processes executor: runs in a forked child. Receives
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

process.on("message", async (job: Job) => {
  try {
    const mod = (await import(job.moduleUrl)) as Record<string, unknown>;
    const fn = mod[job.exportName];
    if (typeof fn !== "function") {
      throw new TypeError(`Export "${job.exportName}" of ${job.moduleUrl} is not a function`);
    }
    const value = await fn(...job.args);
    process.send?.({ id: job.id, ok: true, value });
  } catch (e) {
    process.send?.({ id: job.id, ok: false, error: serializeError(e) });
  }
});

// Exit when the parent goes away.
process.on("disconnect", () => process.exit(0));
