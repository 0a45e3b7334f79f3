/**
 * Runs, in one process (one start-up instead of four), what the read-only store test needs as
 * the user who cannot write the store in argv[2]: a write through the store (it must fail),
 * then `runs list`, `runs show done` and `runs export done --format json`. Prints one JSON
 * object: the write's error and each command's output or error.
 */
import { SqliteStore } from "../../store/sqlite/index.js";
import { main } from "../main.js";

const dir = process.argv[2]!;

function tryWrite(): unknown {
  const store = SqliteStore.openSync(dir);
  try {
    store.updateRunSync("done", { notes: "written" });
    return { written: true };
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string };
    return { name: err.name, code: err.code, message: err.message };
  } finally {
    store.closeSync();
  }
}

/** Runs one CLI command with its stdout captured. */
async function command(args: string[]): Promise<{ out: string; error?: string }> {
  let out = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    await main(["node", "amltk", ...args, "--dir", dir]);
    return { out };
  } catch (e) {
    return { out, error: (e as Error).message };
  } finally {
    process.stdout.write = write;
  }
}

const result = {
  write: tryWrite(),
  list: await command(["runs", "list"]),
  show: await command(["runs", "show", "done"]),
  export: await command(["runs", "export", "done", "--format", "json"]),
};
console.log(JSON.stringify(result));
