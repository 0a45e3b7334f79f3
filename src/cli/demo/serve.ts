/**
 * After the sweep, `amltk demo` serves the dashboard (`amltk/server`) over the demo's store,
 * on 127.0.0.1 only, until Ctrl-C.
 *
 * @module
 */
import { createServer } from "../../server/index.js";
import { SqliteStore } from "../../store/sqlite/index.js";

/** Serves `dir` on 127.0.0.1 until SIGINT/SIGTERM; resolves once the server is closed. */
export async function serveDashboard(
  dir: string,
  port: number,
  log: (line: string) => void,
): Promise<void> {
  const store = await SqliteStore.open(dir);
  const server = await createServer({ store, host: "127.0.0.1", port, closeStore: true });
  log(`Dashboard: ${server.url}  (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
}
