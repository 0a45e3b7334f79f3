/**
 * After the sweep, `amltk demo` serves the dashboard over the demo's store. The server lives
 * in `src/server` (`amltk/server`); it is loaded lazily so the sweep itself never depends
 * on it, and a build without it still prints how to read the runs.
 *
 * @module
 */
import { SqliteStore } from "../../store/sqlite/index.js";
import type { Store } from "../../store/types.js";

interface RunningServer {
  url: string;
  close(): Promise<void>;
}
type CreateServer = (options: {
  store: Store;
  host?: string;
  port?: number;
}) => Promise<RunningServer>;

async function loadCreateServer(): Promise<CreateServer | undefined> {
  const spec = "../../server/index.js"; // computed: optional at build time
  try {
    const mod = (await import(spec)) as { createServer?: CreateServer };
    return mod.createServer;
  } catch {
    return undefined;
  }
}

/**
 * Serves `dir` on 127.0.0.1 until SIGINT/SIGTERM; resolves once the server is closed.
 * Returns false (and serves nothing) when this build has no server.
 */
export async function serveDashboard(
  dir: string,
  port: number,
  log: (line: string) => void,
): Promise<boolean> {
  const createServer = await loadCreateServer();
  if (!createServer) return false;
  const store = await SqliteStore.open(dir);
  const server = await createServer({ store, host: "127.0.0.1", port });
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
  await store.close();
  return true;
}
