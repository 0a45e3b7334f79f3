/**
 * The server process of `bench/reads-under-load.ts`: opens the store (`--target`, a folder or a
 * `postgres://` URL), preloads the runs table's 1,000 finished runs (unless `--no-preload`: a
 * second server on the same database), serves it as `amltk ui` does, prints its URL as a JSON
 * line, and at SIGTERM prints its peak memory, CPU since the reads began (SIGUSR2) and event-loop
 * delay. Flags: `--read-threads N|default`, `--pg-max-connections N`, `--why-slow`;
 * `AMLTK_BENCH_HEAP_PROF=<file>` samples its allocations while the reader reads.
 */
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { HistoryBatch, NumberColumn } from "../src/store/history-batch.js";
import type { Store } from "../src/store/types.js";
import { logPauses, sampleAllocations } from "./read-tail.js";

const argv = process.argv.slice(2);
function arg(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The runs table the reader pages through: `--table-runs` finished runs of project "table". */
const TABLE_RUNS = Number(arg("table-runs") ?? 1_000);
const TABLE_STEPS = 200;

/** 1,000 finished runs with a config, a summary and a short history: the runs table's rows. */
async function preload(store: Store): Promise<void> {
  const rows = new Int32Array(TABLE_STEPS).map((_, i) => i);
  const steps = new Float64Array(TABLE_STEPS).map((_, i) => i);
  for (let r = 0; r < TABLE_RUNS; r++) {
    const id = `table${String(r).padStart(5, "0")}`;
    const createdAt = Date.now() - (TABLE_RUNS - r) * 60_000;
    const columns = new Map<string, NumberColumn>();
    for (let k = 0; k < 5; k++) {
      const values = new Float64Array(TABLE_STEPS).map((_, i) => Math.exp(-i / 50) + k + r / 1e4);
      columns.set(`m${k}`, { n: TABLE_STEPS, rows, values });
    }
    const batch: HistoryBatch = {
      rows: TABLE_STEPS,
      steps,
      runtimes: steps.map((s) => s * 0.1),
      timestamps: steps.map((s) => createdAt / 1000 + s * 0.1),
      columns,
      others: [],
    };
    await store.transaction!(async (tx) => {
      await tx.createRun({
        id,
        project: "table",
        name: `trial-${r}`,
        createdAt,
        config: { lr: 10 ** (-4 + (3 * ((r * 7919) % 1000)) / 1000), layers: 1 + (r % 6) },
      });
      await tx.appendHistoryBatch(id, batch);
      await tx.updateRun(id, {
        summary: { cost: (r * 7919) % 1000, m0: r },
        state: "finished",
        exitCode: 0,
        finishedAt: createdAt + 30_000,
      });
    });
  }
}

/** The server role: opens the store, preloads it, serves it, reports its peak memory at the end. */
async function serverRole(): Promise<void> {
  const { createServer } = await import("../src/server/index.js");
  const target = arg("target")!;
  const readOnly = argv.includes("--no-preload");
  const store = target.startsWith("postgres://")
    ? await (await import("../src/store/postgres/index.js")).PostgresStore.open(
        target,
        // --pg-max-connections N: the ingest pool's size (the store's default otherwise).
        arg("pg-max-connections") ? { maxConnections: Number(arg("pg-max-connections")) } : {},
      )
    : await (await import("../src/store/sqlite/index.js")).SqliteStore.open(target);
  // A second server on the same database (`--read-server`) serves what the first preloaded.
  if (!readOnly) await preload(store);
  const threads = arg("read-threads");
  const readThreads =
    threads === undefined || threads === "default" ? {} : { readThreads: +threads };
  // No keys: the same request path on both stores (loopback only).
  const server = await createServer({ store, port: 0, auth: false, ...readThreads });
  let peakSampled = 0;
  // memoryUsage.rss() alone: process.memoryUsage() walks the heap, a visible cost at this rate.
  const sampler = setInterval(() => {
    peakSampled = Math.max(peakSampled, process.memoryUsage.rss());
  }, 100);
  // How long callbacks waited for the event loop: what every request on it waits at least.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  console.log(JSON.stringify({ url: server.url }));
  // SIGUSR2: the reader starts now; the CPU from here to the end is the load's, not the preload's.
  let cpuAtReads = process.cpuUsage();
  // --why-slow: the server's GC pauses and blocked stretches from the reads' start (read-tail.ts).
  let pauseLog: ReturnType<typeof logPauses> | undefined;
  let allocations: ReturnType<typeof sampleAllocations> | undefined;
  process.once("SIGUSR2", () => {
    cpuAtReads = process.cpuUsage();
    if (argv.includes("--why-slow")) pauseLog = logPauses();
    const heapProf = process.env.AMLTK_BENCH_HEAP_PROF;
    if (heapProf) allocations = sampleAllocations(heapProf);
  });
  await new Promise<void>((r) => process.once("SIGTERM", () => r()));
  const cpu = process.cpuUsage(cpuAtReads);
  const pauses = pauseLog?.stop();
  await (await allocations)?.stop();
  loopDelay.disable();
  clearInterval(sampler);
  await server.close();
  await store.close();
  const ms = (ns: number) => +(ns / 1e6).toFixed(1);
  console.log(
    JSON.stringify({
      peakRssMiB: Math.round(peakRss(peakSampled) / 2 ** 20),
      cpuSecondsSinceReads: +((cpu.user + cpu.system) / 1e6).toFixed(2),
      eventLoopDelayMs: {
        p50: ms(loopDelay.percentile(50)),
        p99: ms(loopDelay.percentile(99)),
        max: ms(loopDelay.max),
      },
      ...(pauses ? { pauses } : {}),
    }),
  );
  process.exit(0);
}

/** The process's peak resident memory: the kernel's high-water mark where there is one. */
function peakRss(sampled: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: the sampled peak
  }
  return sampled;
}

await serverRole();
