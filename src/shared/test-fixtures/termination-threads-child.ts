// A host for termination-threads.test.ts: `<out> <mode> [graceMs]`. Starts one worker thread
// linked to this process's termination, says "ready" once the thread listens, then idles.
// Modes (of the thread): busy, idle, hang; "user" is an idle thread plus a user SIGINT handler;
// "exit-busy" and "exit-idle" make the host call process.exit(3) once the thread is ready.
import { appendFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { linkThreadTermination } from "../termination-threads.js";

const [out, mode, grace] = [process.argv[2]!, process.argv[3]!, process.argv[4]];
const { link, release } = linkThreadTermination(Number(grace ?? 5000));
const entry = new URL("./termination-threads-thread.ts", import.meta.url).href;
const api = JSON.stringify(import.meta.resolve("tsx/esm/api"));
// Threads ignore `--import tsx`: register it in the thread first (as threads.ts does).
const code = `import(${api}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
const worker = new Worker(code, {
  eval: true,
  workerData: { termination: link, out, mode },
  transferList: [link.port],
});
worker.once("exit", release);
if (mode === "user") {
  process.on("SIGINT", () => appendFileSync(out, `${JSON.stringify({ user: true })}\n`));
}
worker.once("message", () => {
  process.stdout.write("ready\n");
  if (mode.startsWith("exit-")) process.exit(3);
});
setInterval(() => {}, 1_000);
