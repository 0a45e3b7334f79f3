/**
 * A host that forks a processes-executor worker and SIGKILLs itself at once, before the worker
 * could say hello: `node --import tsx host-dies-at-start.ts <stderr file>`. Prints the worker's
 * pid first. The worker's stderr goes to the file, for the test to read.
 */
import { fork } from "node:child_process";
import { openSync } from "node:fs";
import { fileURLToPath } from "node:url";

const err = openSync(process.argv[2] as string, "w");
const child = fork(fileURLToPath(new URL("../worker.ts", import.meta.url)), [], {
  execArgv: ["--import", "tsx"],
  serialization: "json",
  stdio: ["ignore", "ignore", err, "ipc"],
  detached: true,
});
process.stdout.write(`${child.pid}\n`, () => process.kill(process.pid, "SIGKILL"));
