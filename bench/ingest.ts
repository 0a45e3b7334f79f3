/**
 * Online ingest benchmark (issue 5): N online runs (default 50) stream at once to one server on
 * loopback through the real SDK (`init({ mode: "online" })`), then finish; afterwards every
 * run's points are counted in the server's store (none lost, none doubled).
 *
 * Run: `npx tsx bench/ingest.ts [--seconds 30] [--runs 50] [--clients 2] [--rate 6000] [--keys 10]
 * [--store sqlite|postgres] [--skip-sqlite] [--server-cpu-prof DIR] [--client-cpu-prof DIR]`. Prints one JSON object. Processes: one server (`createServer` over a
 * SqliteStore, or a PostgresStore), `clients` client processes sharing the runs. `--store
 * postgres` starts a private PostgreSQL cluster (`test/services/postgres.ts`) and runs the same
 * load against SQLite first and PostgreSQL second, side by side in one JSON object. The server
 * samples its own peak RSS (PostgreSQL's own processes are not in it). Each run logs rows of `keys` numeric metrics, paced to
 * `rate` points/s per run, for `seconds`. Throughput = points stored / (first log -> last
 * point acknowledged), so a server that falls behind lowers it (clients buffer and spill).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { postgresCpuSeconds } from "./proc-cpu.js";

const argv = process.argv.slice(2);
function arg(name: string, def: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
}
function sarg(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

const self = fileURLToPath(import.meta.url);

/** A child of this script in another role; `output` resolves with all its stdout at exit. */
function child(
  args: string[],
  nodeArgs: string[] = [],
): {
  firstLine: Promise<string>;
  output: Promise<{ code: number | null; out: string }>;
  kill: () => void;
} {
  const p = spawn(process.execPath, [...nodeArgs, "--import", "tsx", self, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  let gotLine: (l: string) => void = () => {};
  const firstLine = new Promise<string>((r) => {
    gotLine = r;
  });
  p.stdout.on("data", (b) => {
    out += b;
    const i = out.indexOf("\n");
    if (i >= 0) gotLine(out.slice(0, i));
  });
  const output = new Promise<{ code: number | null; out: string }>((r) =>
    p.on("close", (code, signal) => {
      if (code !== 0 && signal !== "SIGTERM") {
        console.error(`child ${args[1]} exited ${code} ${signal}`);
      }
      r({ code, out });
    }),
  );
  return { firstLine, output, kill: () => p.kill("SIGTERM") };
}

/** The server: over SQLite in `dir`, or over PostgreSQL at `pgUrl` (keys in the database). */
async function serverRole(dir: string, pgUrl: string | undefined): Promise<void> {
  const { SqliteStore } = await import("../src/store/sqlite/index.js");
  const { ApiKeys, createServer } = await import("../src/server/index.js");
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  let server: Awaited<ReturnType<typeof createServer>>;
  let close: () => Promise<void>;
  let key: string;
  if (pgUrl) {
    const { PostgresStore } = await import("../src/store/postgres/index.js");
    const { PostgresKeyAdmin, PostgresServerKeys } = await import("../src/server/postgres-keys.js");
    const store = await PostgresStore.open(pgUrl);
    ({ key } = await new PostgresKeyAdmin(store).create("bench"));
    const keys = await PostgresServerKeys.open(store);
    server = await createServer({ store, port: 0, auth: { keys: keys.keys } });
    close = async () => {
      await keys.close();
      await store.close();
    };
  } else {
    const store = await SqliteStore.open(dir);
    ({ key } = new ApiKeys(store.db).create("bench"));
    server = await createServer({ store, port: 0 });
    close = () => store.close();
  }
  console.log(JSON.stringify({ url: server.url, key }));
  await new Promise<void>((r) => process.once("SIGTERM", () => r()));
  clearInterval(sampler);
  await server.close();
  await close();
  const cpu = process.cpuUsage();
  console.log(
    JSON.stringify({
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    }),
  );
}

async function clientRole(): Promise<void> {
  const { init } = await import("../src/track/init.js");
  const { allDelivered } = await import("../src/track/online/index.js");
  // finish() gives up on a slow server after 5 s by default (the rest stays spooled); this
  // bench measures delivery, so finish waits for all of it.
  process.env.AMLTK_FINISH_TIMEOUT_MS ??= "300000";
  const url = sarg("url")!;
  const key = sarg("key")!;
  const dir = sarg("dir")!;
  const prefix = sarg("prefix")!;
  const runs = arg("runs", 25);
  const seconds = arg("seconds", 30);
  const rate = arg("rate", 6000);
  const keys = arg("keys", 10);
  const names = Array.from({ length: keys }, (_, k) => `m${k}`);
  const rs = [];
  for (let i = 0; i < runs; i++) {
    rs.push(
      await init({
        mode: "online",
        baseUrl: url,
        apiKey: key,
        dir,
        id: `${prefix}-${i}`,
        project: "ingest",
        reinit: "create_new",
        systemInterval: 0,
        heartbeatInterval: 1000,
      }),
    );
  }
  const rowsPerSec = rate / keys;
  const tick = 20; // ms
  const t0 = performance.now();
  const start = Date.now();
  const rows = new Array(runs).fill(0);
  const row: Record<string, number> = {};
  while (performance.now() - t0 < seconds * 1000) {
    const target = Math.floor(((performance.now() - t0) / 1000) * rowsPerSec);
    for (let i = 0; i < runs; i++) {
      while (rows[i] < target) {
        const s = rows[i]++;
        for (let k = 0; k < keys; k++) row[names[k]] = Math.sin(s * (k + 1)) + i;
        rs[i].log(row);
      }
    }
    await new Promise((r) => setTimeout(r, tick));
  }
  const loggedAt = Date.now();
  await Promise.all(rs.map((r) => r.finish()));
  await allDelivered();
  console.log(
    JSON.stringify({
      rows,
      start,
      loggedAt,
      deliveredAt: Date.now(),
      keys,
      ids: rs.map((r) => r.id),
      // The SDK's own CPU in this process (logging, spooling, sending): the client's cost per point.
      cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
    }),
  );
  process.exit(0);
}

/** One round of the load against one store; `pgUrl` set: PostgreSQL, else SQLite. */
async function round(pgUrl: string | undefined): Promise<Record<string, unknown>> {
  const seconds = arg("seconds", 30);
  const runs = arg("runs", 50);
  const clients = Math.max(1, Math.min(arg("clients", 2), runs));
  const rate = arg("rate", 6000);
  const keys = arg("keys", 10);
  const base = mkdtempSync(join(tmpdir(), "amltk-ingest-"));
  const serverDir = join(base, "server");
  // `--server-cpu-prof DIR`: a V8 CPU profile of the server process (what a batch costs there).
  const prof = sarg("server-cpu-prof");
  const srv = child(
    ["--role", "server", "--dir", serverDir, ...(pgUrl ? ["--pg", pgUrl] : [])],
    prof ? ["--cpu-prof", "--cpu-prof-dir", prof] : [],
  );
  const { url, key } = JSON.parse(await srv.firstLine) as { url: string; key: string };
  const pgCpuBefore = pgUrl ? postgresCpuSeconds() : 0;
  const per = Math.ceil(runs / clients);
  const cs = [];
  for (let c = 0; c < clients; c++) {
    const n = Math.min(per, runs - c * per);
    if (n <= 0) break;
    cs.push(
      child(
        [
          "--role",
          "client",
          "--url",
          url,
          "--key",
          key,
          "--dir",
          join(base, `client${c}`),
          "--prefix",
          `c${c}`,
          "--runs",
          String(n),
          "--seconds",
          String(seconds),
          "--rate",
          String(rate),
          "--keys",
          String(keys),
        ],
        // `--client-cpu-prof DIR`: a V8 CPU profile of each client (the SDK's cost per point).
        sarg("client-cpu-prof") ? ["--cpu-prof", "--cpu-prof-dir", sarg("client-cpu-prof")!] : [],
      ),
    );
  }
  const reports = [];
  for (const c of cs) {
    const { code, out } = await c.output;
    if (code !== 0 || !out.trim()) throw new Error(`a client exited ${code} without a report`);
    reports.push(
      JSON.parse(out.trim().split("\n").pop()!) as {
        rows: number[];
        start: number;
        loggedAt: number;
        deliveredAt: number;
        keys: number;
        ids: string[];
        cpuMs: number;
      },
    );
  }
  const pgCpu = pgUrl ? postgresCpuSeconds() - pgCpuBefore : 0;
  srv.kill();
  const serverOut = (await srv.output).out.trim().split("\n");
  const { peakRssMiB, cpuMs } = JSON.parse(serverOut[serverOut.length - 1]!) as {
    peakRssMiB: number;
    cpuMs: number;
  };
  // Count what the server stored: every key of every run must hold exactly the logged rows.
  const { openStore } = await import("../src/store/open-store.js");
  const store = await openStore(pgUrl ?? serverDir);
  let expected = 0;
  let stored = 0;
  let lostOrDoubled = 0;
  let unfinished = 0;
  for (const r of reports) {
    for (let i = 0; i < r.ids.length; i++) {
      expected += r.rows[i] * keys;
      const info = await store.historyKeys(r.ids[i]);
      for (let k = 0; k < keys; k++) {
        const count = info.find((x) => x.key === `m${k}`)?.count ?? 0;
        stored += count;
        if (count !== r.rows[i]) lostOrDoubled++;
      }
      if ((await store.getRun(r.ids[i]))?.state !== "finished") unfinished++;
    }
  }
  await store.close();
  const start = Math.min(...reports.map((r) => r.start));
  const end = Math.max(...reports.map((r) => r.deliveredAt));
  const logged = Math.max(...reports.map((r) => r.loggedAt));
  rmSync(base, { recursive: true, force: true });
  return {
    store: store.kind,
    runs,
    clients: cs.length,
    seconds,
    keysPerRow: keys,
    targetPointsPerSecPerRun: rate,
    cpus: cpus().length,
    pointsLogged: expected,
    pointsStored: stored,
    seriesWithLostOrDoubledPoints: lostOrDoubled,
    runsNotFinished: unfinished,
    noPointLost: stored === expected && lostOrDoubled === 0,
    drainAfterLoggingMs: end - logged,
    wallMs: end - start,
    pointsPerSec: Math.round(stored / ((end - start) / 1000)),
    goalPointsPerSec: 200_000,
    serverPeakRssMiB: peakRssMiB,
    // CPU per stored point, in µs: the server's whole life (start-up included) and the clients'.
    serverCpuUsPerPoint: +((cpuMs * 1000) / stored).toFixed(3),
    clientCpuUsPerPoint: +((reports.reduce((s, r) => s + r.cpuMs, 0) * 1000) / stored).toFixed(3),
    // PostgreSQL's own processes while the clients ran (its backends' parse, plan and write).
    ...(pgUrl ? { postgresCpuUsPerPoint: +((pgCpu * 1e6) / stored).toFixed(3) } : {}),
  };
}

async function main(): Promise<void> {
  const which = sarg("store") ?? "sqlite";
  if (which !== "sqlite" && which !== "postgres") {
    throw new Error(`--store must be sqlite or postgres, got ${JSON.stringify(which)}`);
  }
  if (which === "sqlite") {
    console.log(JSON.stringify({ bench: "ingest", ...(await round(undefined)) }, null, 2));
    return;
  }
  const { startPostgres } = await import("../test/services/postgres.js");
  const pg = await startPostgres();
  try {
    // --skip-sqlite: PostgreSQL alone (a variant, for comparing PostgreSQL paths quickly).
    const sqlite = argv.includes("--skip-sqlite") ? "skipped" : await round(undefined);
    const postgres = await round(await pg.createDatabase({ name: "ingest" }));
    console.log(JSON.stringify({ bench: "ingest", stores: { sqlite, postgres } }, null, 2));
  } finally {
    await pg.stop();
  }
}

const role = sarg("role");
if (role === "server") await serverRole(sarg("dir")!, sarg("pg"));
else if (role === "client") await clientRole();
else await main();
