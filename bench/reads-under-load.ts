/**
 * Reads while writers are busy (issue 13): `WRITERS` online runs (default 20) log through the
 * real SDK into one server while a dashboard-like reader asks, one request at a time,
 * for a page of the runs table (`GET /api/runs`, 100 of 1,000 finished runs sorted by a summary
 * value) and for the live chart (`POST /api/series`, one metric of the live runs, 200 buckets).
 * Reports each read's p50/p95/p99 and the server's peak memory, once per server configuration
 * (`readThreads` 0: every read on the event loop that also ingests; and 2 read threads; `default`
 * is this machine's default, `defaultReadThreads()` in src/server/server-options.ts),
 * side by side. Goal: p99 <= 50 ms for both reads.
 *
 * Run: `npx tsx bench/reads-under-load.ts [--seconds 15] [--writers 20] [--rate 6000] [--keys 10]
 * [--store all|sqlite|postgres] [--threads 0,2] [--pg-stats] [--pg-max-connections N]
 * [--read-server]`. Prints one JSON object. `--threads`: the
 * SQLite server's `readThreads` settings to compare; PostgreSQL (a private cluster started in a
 * temp folder, as the tests do; skipped with the reason when not installed) reads through its
 * connection pool. The server takes no API keys (loopback), so both stores see the same requests.
 *
 * Processes: the server (`createServer` over the store, as `amltk ui`;
 * bench/reads-under-load-server.ts), two writer processes
 * (bench/ingest.ts's client role, each with half the runs), and this one as the reader. The
 * reader starts once every writer's run is running on the server, and stops after `seconds`,
 * while the writers still log.
 *
 * `--writers-nice N` runs the two writer processes at nice N, as a variant (the default, 0, is
 * the measurement the issue defines): on this 2-core machine the writers' own CPU competes with
 * the server, where in a deployment they run on other machines; the JSON says which was used.
 *
 * `--read-server` (PostgreSQL only), a variant: a second server process on the same database
 * (`amltk ui --store postgres://...` twice, as docs/guides/postgres.md describes) answers the
 * reader while the first takes the writers' requests, so no read waits for the event loop that
 * decodes and writes ingest batches. The JSON reports it as `readServer: true`, with both
 * processes' peak memory and cores.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { postgresCpuSeconds } from "./proc-cpu.js";
import { gcSummary, type PauseLog, type ReadLog, tailReport } from "./read-tail.js";

const argv = process.argv.slice(2);
function arg(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}
const num = (name: string, def: number) => Number(arg(name) ?? def);

/** The server process: bench/reads-under-load-server.ts. */
const serverScript = fileURLToPath(new URL("./reads-under-load-server.ts", import.meta.url));
const ingest = fileURLToPath(new URL("./ingest.ts", import.meta.url));
const TABLE_RUNS = 1_000;
const LIVE_PROJECT = "ingest"; // bench/ingest.ts's writers log there

/** Lines of a child's stdout as they come, and its end. */
function start(args: string[]): { proc: ChildProcess; lines: AsyncIterator<string> } {
  const proc = spawn(process.execPath, ["--import", "tsx", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let buf = "";
  proc.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      // A child's reports are JSON lines; anything else (`--trace-gc`) goes to stderr.
      if (buf.startsWith("{")) queue.push(buf.slice(0, i));
      else process.stderr.write(buf.slice(0, i + 1));
      buf = buf.slice(i + 1);
    }
    wake?.();
  });
  proc.once("close", () => {
    ended = true;
    if (buf.trim()) queue.push(buf);
    wake?.();
  });
  const lines: AsyncIterator<string> = {
    async next() {
      while (queue.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
      const value = queue.shift();
      return value === undefined ? { done: true, value: undefined } : { done: false, value };
    },
  };
  return { proc, lines };
}

async function line(it: AsyncIterator<string>, what: string): Promise<string> {
  const r = await it.next();
  if (r.done) throw new Error(`${what} ended without a line`);
  return r.value;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1);
}

const stats = (xs: number[]) => ({
  p50: quantile(xs, 0.5),
  p95: quantile(xs, 0.95),
  p99: quantile(xs, 0.99),
  max: quantile(xs, 1),
  n: xs.length,
});

/** A read's time, and the handler's own share of it (the server's `Server-Timing: app`). */
async function timed(
  url: string,
  handler: number[],
  init?: RequestInit,
  phases?: Map<string, number[]>,
  log?: ReadLog[],
): Promise<number> {
  const t = performance.now();
  const start = Date.now();
  const res = await fetch(url, init);
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  const timing = res.headers.get("server-timing") ?? "";
  log?.push({
    start,
    end: start + (performance.now() - t),
    timing: Object.fromEntries(
      [...timing.matchAll(/(\w+);dur=([\d.]+)/g)].map(([, k, v]) => [k!, Number(v)]),
    ),
  });
  const app = /app;dur=([\d.]+)/.exec(timing);
  if (app) handler.push(Number(app[1]));
  // The handler's phases where it names them (the live chart: runs, store, json).
  for (const [, name, ms] of timing.matchAll(/(\w+);dur=([\d.]+)/g)) {
    if (name === "app" || !phases) continue;
    const xs = phases.get(name!) ?? [];
    xs.push(Number(ms));
    phases.set(name!, xs);
  }
  return performance.now() - t;
}

/** Waits until `n` runs of the live project are running (the writers have started). */
async function writersRunning(url: string, n: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await fetch(`${url}/api/runs?project=${LIVE_PROJECT}&state=running&limit=1`);
    const { total } = (await res.json()) as { total: number };
    if (total >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${total} of ${n} writers started in 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One server configuration under load: the reads' latencies, the server's peak memory. */
async function measure(
  store: string,
  threads: string,
  readServer = false,
): Promise<Record<string, unknown>> {
  const seconds = num("seconds", 15);
  const writers = num("writers", 20);
  const base = mkdtempSync(join(tmpdir(), "amltk-reads-"));
  const target = store === "sqlite" ? join(base, "server") : store;
  // AMLTK_BENCH_PROF=<dir>: a V8 CPU profile of the server process, written there at its end.
  const prof = process.env.AMLTK_BENCH_PROF;
  const whySlow = argv.includes("--why-slow");
  // AMLTK_BENCH_SERVER_FLAGS="--trace-gc ...": more node flags for the server processes.
  const profile = [
    ...(prof ? ["--cpu-prof", "--cpu-prof-dir", prof] : []),
    ...(process.env.AMLTK_BENCH_SERVER_FLAGS?.split(" ").filter(Boolean) ?? []),
  ];
  const server = start([
    ...profile,
    serverScript,
    ...["--table-runs", String(TABLE_RUNS), "--target", target, "--read-threads", threads],
    ...(arg("pg-max-connections") ? ["--pg-max-connections", arg("pg-max-connections")!] : []),
    ...(whySlow ? ["--why-slow"] : []),
  ]);
  let reads: ReturnType<typeof start> | undefined;
  try {
    const { url: writeUrl } = JSON.parse(await line(server.lines, "server")) as { url: string };
    // --read-server: the reader asks a second server process on the same database (started
    // after the first has migrated and preloaded it); the writers still log to the first.
    if (readServer) {
      reads = start([
        ...profile,
        serverScript,
        ...["--target", target, "--read-threads", threads, "--no-preload"],
      ]);
    }
    const url = reads
      ? (JSON.parse(await line(reads.lines, "read server")) as { url: string }).url
      : writeUrl;
    const key = "unused"; // the bench server takes no keys
    const clients = [0, 1].map((c) =>
      start([
        ingest,
        ...["--role", "client", "--url", writeUrl, "--key", key, "--dir", join(base, `client${c}`)],
        ...["--prefix", `w${c}`, "--runs", String(Math.ceil(writers / 2) - c * (writers % 2))],
        // The writers log on past the reader's window (start-up and the reads' own time).
        ...["--seconds", String(seconds + 10), "--rate", String(num("rate", 6000))],
        ...["--keys", String(num("keys", 10))],
      ]),
    );
    const writersNice = num("writers-nice", 0);
    if (writersNice !== 0) for (const c of clients) setPriority(c.proc.pid!, writersNice);
    await writersRunning(url, writers);
    server.proc.kill("SIGUSR2");
    reads?.proc.kill("SIGUSR2");
    const pgCpuAtReads = postgresCpuSeconds();
    const runs: number[] = [];
    const series: number[] = [];
    const runsHandler: number[] = [];
    const seriesHandler: number[] = [];
    const seriesPhases = new Map<string, number[]>();
    const runsLog: ReadLog[] | undefined = whySlow ? [] : undefined;
    const seriesLog: ReadLog[] | undefined = whySlow ? [] : undefined;
    const chart = JSON.stringify({
      runsQuery: `project=${LIVE_PROJECT}&state=running&limit=${writers}`,
      keys: ["m0"],
      x: "step",
      buckets: 200,
      fields: ["last"],
    });
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      runs.push(
        await timed(
          `${url}/api/runs?project=table&limit=100&sort=-summary.cost`,
          runsHandler,
          undefined,
          undefined,
          runsLog,
        ),
      );
      series.push(
        await timed(
          `${url}/api/series`,
          seriesHandler,
          { method: "POST", headers: { "content-type": "application/json" }, body: chart },
          seriesPhases,
          seriesLog,
        ),
      );
    }
    const readSeconds = (performance.now() - t0) / 1000;
    const pgCpu = postgresCpuSeconds() - pgCpuAtReads;
    const reports = [];
    for (const c of clients) reports.push(JSON.parse(await line(c.lines, "writer")));
    const logged = reports.reduce(
      (s, r) => s + r.rows.reduce((a: number, b: number) => a + b, 0) * r.keys,
      0,
    );
    const wall =
      Math.max(...reports.map((r) => r.deliveredAt)) - Math.min(...reports.map((r) => r.start));
    server.proc.kill("SIGTERM");
    const { peakRssMiB, eventLoopDelayMs, cpuSecondsSinceReads, pauses } = JSON.parse(
      await line(server.lines, "server"),
    ) as {
      peakRssMiB: number;
      eventLoopDelayMs: unknown;
      cpuSecondsSinceReads: number;
      pauses?: PauseLog;
    };
    await line(server.lines, "server").catch(() => {}); // its end (a profile is written by then)
    let readServerReport:
      | { peakRssMiB: number; eventLoopDelayMs: unknown; cpu: number }
      | undefined;
    if (reads) {
      reads.proc.kill("SIGTERM");
      const r = JSON.parse(await line(reads.lines, "read server"));
      await line(reads.lines, "read server").catch(() => {});
      readServerReport = {
        peakRssMiB: r.peakRssMiB,
        eventLoopDelayMs: r.eventLoopDelayMs,
        cpu: r.cpuSecondsSinceReads,
      };
    }
    return {
      readThreads: threads,
      ...(readServer ? { readServer: true } : {}),
      runsPage: stats(runs),
      liveChart: stats(series),
      // The handler's own time (query, encoding): the rest is waiting for the event loop.
      runsPageHandler: stats(runsHandler),
      liveChartHandler: stats(seriesHandler),
      liveChartPhases: Object.fromEntries([...seriesPhases].map(([k, xs]) => [k, stats(xs)])),
      serverEventLoopDelayMs: eventLoopDelayMs,
      writerPointsPerSec: Math.round(logged / (wall / 1000)),
      serverPeakRssMiB: peakRssMiB,
      ...(readServerReport
        ? {
            readServerPeakRssMiB: readServerReport.peakRssMiB,
            readServerEventLoopDelayMs: readServerReport.eventLoopDelayMs,
          }
        : {}),
      // Cores each process kind used while the reader read (the writers' whole run, theirs):
      // where the two cores went. The server's runs to its end, a little past the reads.
      coresUsed: {
        server: +(cpuSecondsSinceReads / readSeconds).toFixed(2),
        ...(readServerReport
          ? { readServer: +(readServerReport.cpu / readSeconds).toFixed(2) }
          : {}),
        writers: +(
          (reports.reduce((s, r) => s + r.cpuMs, 0) /
            1000 /
            (Math.max(...reports.map((r) => r.deliveredAt)) -
              Math.min(...reports.map((r) => r.start)))) *
          1000
        ).toFixed(2),
        ...(store === "sqlite" ? {} : { postgres: +(pgCpu / readSeconds).toFixed(2) }),
      },
      goalP99Le50ms: quantile(runs, 0.99) <= 50 && quantile(series, 0.99) <= 50,
      // --why-slow: the slowest 2% of each read split into handler phases, GC and blocked time.
      ...(pauses && runsLog && seriesLog && !readServer
        ? {
            whySlow: {
              server: gcSummary(pauses, readSeconds),
              runsPage: tailReport(runsLog, pauses),
              liveChart: tailReport(seriesLog, pauses),
            },
          }
        : {}),
    };
  } finally {
    if (server.proc.exitCode === null) server.proc.kill("SIGKILL");
    if (reads && reads.proc.exitCode === null) reads.proc.kill("SIGKILL");
    rmSync(base, { recursive: true, force: true });
  }
}

/** The statements PostgreSQL spent most time on, with calls and mean time. */
async function topStatements(
  cluster: { sql(text: string, db?: string): Promise<{ rows: unknown[] }> },
  url: string,
): Promise<unknown[]> {
  const r = await cluster.sql(
    `SELECT calls, round(total_exec_time) AS total_ms, round(mean_exec_time::numeric, 2) AS mean_ms,
       round(max_exec_time::numeric, 1) AS max_ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query
     FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12`,
    new URL(url).pathname.slice(1),
  );
  return r.rows;
}

async function main(): Promise<void> {
  const which = arg("store") ?? "all";
  const out: Record<string, unknown> = {
    bench: "reads-under-load",
    writers: num("writers", 20),
    pointsPerSecPerWriter: num("rate", 6000),
    seconds: num("seconds", 15),
    writersNice: num("writers-nice", 0),
    tableRuns: TABLE_RUNS,
  };
  const results: unknown[] = [];
  out.results = results;
  if (which === "sqlite" || which === "all") {
    for (const t of (arg("threads") ?? "0,2").split(",")) {
      results.push({ store: "sqlite", ...(await measure("sqlite", t)) });
    }
  }
  if (which === "postgres" || which === "all") {
    const { postgresAvailability, startPostgres } = await import("../test/services/postgres.js");
    const pg = postgresAvailability("reads-under-load bench");
    if (!pg.found) out.postgres = `skipped: ${pg.reason}`;
    else {
      // --pg-stats: PostgreSQL's own time per statement (pg_stat_statements), the top ones.
      const pgStats = argv.includes("--pg-stats");
      const conf = pgStats ? ["shared_preload_libraries = 'pg_stat_statements'"] : [];
      const cluster = await startPostgres({ conf });
      try {
        // The server's connection pool serves reads beside ingest; no threads to choose.
        const url = await cluster.createDatabase();
        if (pgStats)
          await cluster.sql("CREATE EXTENSION pg_stat_statements", new URL(url).pathname.slice(1));
        const readServer = argv.includes("--read-server");
        results.push({ store: "postgres", ...(await measure(url, "0", readServer)) });
        if (pgStats) out.pgTopStatements = await topStatements(cluster, url);
      } finally {
        await cluster.stop();
      }
    }
  }
  out.machine = { cores: cpus().length, loadAverage1m: +loadavg()[0]!.toFixed(2) };
  console.log(JSON.stringify(out, null, 2));
}

await main();
