// A child for termination.test.ts: registers a cleanup that records the signal in a file, then
// says "ready" and keeps its event loop busy until a signal arrives.
import { appendFileSync } from "node:fs";
import { onTermination } from "../termination.js";

const [out, mode] = [process.argv[2]!, process.argv[3]];
const withUserHandler = mode === "user" || mode === "linger-user";
const stop = onTermination(
  ({ signal, exitCode, ending }) => {
    appendFileSync(out, `${JSON.stringify({ signal, exitCode, ending })}\n`);
  },
  { lingerMs: mode?.startsWith("linger") ? 60_000 : undefined },
);
// "linger" modes: the cleanup is gone, its handlers linger; a signal must act as without them.
if (mode?.startsWith("linger")) stop();
if (withUserHandler) {
  process.on("SIGINT", () => appendFileSync(out, `${JSON.stringify({ user: true })}\n`));
}
setInterval(() => {}, 1_000);
process.stdout.write("ready\n");
