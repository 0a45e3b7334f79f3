/**
 * The store side of bench/ui.ts: the generated runs, the store they go into (a SQLite folder,
 * or a PostgreSQL database on a private cluster started in a temp folder, as the tests do), and
 * the server child process that serves it as `amltk ui` would. Run as a script with `--serve
 * <target> <webDir>`, this file is that child.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "../src/server/index.js";
import type { HistoryBatch, NumberColumn } from "../src/store/history-batch.js";
import { PostgresStore } from "../src/store/postgres/index.js";
import { SqliteStore } from "../src/store/sqlite/index.js";
import type { Store } from "../src/store/types.js";

/** What the bench generates: `runs` runs x `metrics` metrics x `steps` steps in `project`. */
export interface BenchShape {
  runs: number;
  metrics: number;
  steps: number;
  project: string;
}

/** A store holding the bench's runs, and where a server process can open it. */
export interface BenchStore {
  store: Store;
  /** A run folder or a `postgres://` URL. */
  target: string;
  /** The runs were already there (`--reuse`). */
  reused: boolean;
  close(): Promise<void>;
}

/**
 * Opens the bench's store: SQLite in `keep` (reused when it holds the runs) or a temp folder,
 * or PostgreSQL on a fresh private cluster. Generates the runs unless reused.
 */
export async function openBenchStore(
  kind: "sqlite" | "postgres",
  shape: BenchShape,
  keep?: string,
): Promise<BenchStore & { generateMs: number | "reused" }> {
  if (kind === "postgres") {
    const { startPostgres } = await import("../test/services/postgres.js");
    const cluster = await startPostgres();
    const url = await cluster.createDatabase();
    const store = await PostgresStore.open(url);
    const close = async () => {
      await store.close();
      await cluster.stop();
    };
    return { store, target: url, reused: false, close, generateMs: await generate(store, shape) };
  }
  const dir = keep ?? mkdtempSync(join(tmpdir(), "amltk-bench-ui-"));
  const had = keep !== undefined && existsSync(join(dir, "amltk.db"));
  const store = SqliteStore.openSync(dir);
  const close = async () => {
    await store.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  const reused =
    had && (await store.listRuns({ project: shape.project, limit: 0 })).total === shape.runs;
  const generateMs = reused ? "reused" : await generate(store, shape);
  return { store, target: dir, reused, close, generateMs };
}

/**
 * Runs written at once into PostgreSQL: its backends (one per connection) and this process's
 * encoding overlap; SQLite's writes are synchronous, one at a time.
 */
const POSTGRES_WRITERS = 4;

/**
 * Writes the runs through the store's columnar batch path (what the tracker's flusher uses: on
 * PostgreSQL, multi-row INSERTs of 4,096-point `float8[]` chunks, not HTTP).
 */
async function generate(store: SqliteStore | PostgresStore, shape: BenchShape): Promise<number> {
  const t0 = performance.now();
  const writers = store instanceof PostgresStore ? POSTGRES_WRITERS : 1;
  let next = 0;
  const writer = async () => {
    for (let r = next++; r < shape.runs; r = next++) await generateRun(store, shape, r);
  };
  await Promise.all(Array.from({ length: writers }, writer));
  return Math.round(performance.now() - t0);
}

/** Run `r` of the bench: its row, its whole history in one batch, then its summary. */
async function generateRun(
  store: SqliteStore | PostgresStore,
  { runs, metrics, steps: n, project }: BenchShape,
  r: number,
): Promise<void> {
  const start = Date.now() - runs * 60_000;
  const steps = new Float64Array(n);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    steps[i] = i;
    rows[i] = i;
  }
  const id = `run${String(r).padStart(5, "0")}`;
  const createdAt = start + r * 60_000;
  const lr = 10 ** (-4 + 3 * Math.random());
  const layers = 1 + (r % 6);
  await store.createRun({
    id,
    project,
    name: `trial-${r}`,
    group: `sweep-${r % 4}`,
    tags: r % 10 === 0 ? ["baseline"] : [],
    createdAt,
    config: { lr, layers, batch: 2 ** (4 + (r % 5)), opt: r % 3 === 0 ? "sgd" : "adam" },
  });
  const runtimes = new Float64Array(n);
  const timestamps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    runtimes[i] = i * 0.05;
    timestamps[i] = createdAt / 1000 + i * 0.05;
  }
  const columns = new Map<string, NumberColumn>();
  const last: Record<string, number> = {};
  for (let k = 0; k < metrics; k++) {
    const v = new Float64Array(n);
    const tau = n / (2 + k + lr * 100);
    for (let i = 0; i < n; i++) v[i] = Math.exp(-i / tau) + 0.05 * Math.random() + 0.01 * layers;
    columns.set(`m${k}`, { n, rows, values: v });
    last[`m${k}`] = v[n - 1]!;
  }
  const batch: HistoryBatch = { rows: n, steps, runtimes, timestamps, columns, others: [] };
  await store.appendHistoryBatch(id, batch);
  await store.updateRun(id, {
    summary: { ...last, cost: last.m0! },
    state: "finished",
    exitCode: 0,
    finishedAt: createdAt + n * 50,
  });
}

/**
 * Starts `createServer` over the store at `target` in a child process (this file with
 * `--serve`) and resolves with its URL and a `close` that ends it. In a process of its own, as
 * `amltk ui` is: in the bench's, its loops and playwright's client would delay the answers.
 */
export async function serveInChild(
  target: string,
  webDir: string | undefined,
): Promise<{ url: string; close(): Promise<{ peakRssMiB: number | null }> }> {
  const self = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, self, "--serve", target, webDir ?? ""];
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let buf = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const m = /^listening (\S+)$/m.exec(buf);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`bench server exited (${code})`)));
  });
  return {
    url,
    async close() {
      child.stdin!.end(); // the child closes when its stdin does
      await exited;
      const peak = /^peakRssMiB (\d+)$/m.exec(buf);
      return { peakRssMiB: peak ? Number(peak[1]) : null };
    },
  };
}

/** The child's side of {@link serveInChild}. */
async function serve(target: string, webDir: string): Promise<void> {
  const store = target.startsWith("postgres://")
    ? await PostgresStore.open(target)
    : SqliteStore.openSync(target);
  const server = await createServer({
    store,
    port: 0,
    host: "127.0.0.1",
    auth: false,
    ...(webDir ? { webDir } : {}),
  });
  console.log(`listening ${server.url}`);
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once("end", resolve));
  await server.close();
  await store.close();
  // The kernel's high-water mark of this process's resident memory (Linux).
  const status = existsSync("/proc/self/status") ? readFileSync("/proc/self/status", "utf8") : "";
  const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
  if (hwm) console.log(`peakRssMiB ${Math.round(Number(hwm[1]) / 1024)}`);
}

const serveFlag = process.argv.indexOf("--serve");
if (serveFlag >= 0 && process.argv[1] === fileURLToPath(import.meta.url)) {
  await serve(process.argv[serveFlag + 1]!, process.argv[serveFlag + 2] ?? "");
}
