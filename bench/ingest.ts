/**
 * Online ingest benchmark (issue 5): N online runs (default 50) stream at once to one server on
 * loopback through the real SDK (`init({ mode: "online" })`), then finish; afterwards every
 * run's points are counted in the server's store (none lost, none doubled).
 *
 * Run: `npx tsx bench/ingest.ts [--seconds 30] [--runs 50] [--clients 2] [--rate 6000] [--keys 10]`
 * Prints one JSON object. Processes: one server (`createServer` over a SqliteStore), `clients`
 * client processes sharing the runs. Each run logs rows of `keys` numeric metrics, paced to
 * `rate` points/s per run, for `seconds`. Throughput = points stored / (first log -> last
 * point acknowledged), so a server that falls behind lowers it (clients buffer and spill).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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
function child(args: string[]): {
  firstLine: Promise<string>;
  output: Promise<{ code: number | null; out: string }>;
  kill: () => void;
} {
  const p = spawn(process.execPath, ["--import", "tsx", self, ...args], {
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

async function serverRole(dir: string): Promise<void> {
  const { SqliteStore } = await import("../src/store/sqlite/index.js");
  const { ApiKeys, createServer } = await import("../src/server/index.js");
  const store = await SqliteStore.open(dir);
  const { key } = new ApiKeys(store.db).create("bench");
  const server = await createServer({ store, port: 0 });
  console.log(JSON.stringify({ url: server.url, key }));
  await new Promise<void>((r) => process.once("SIGTERM", () => r()));
  await server.close();
  await store.close();
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
    }),
  );
  process.exit(0);
}

async function main(): Promise<void> {
  const seconds = arg("seconds", 30);
  const runs = arg("runs", 50);
  const clients = Math.max(1, Math.min(arg("clients", 2), runs));
  const rate = arg("rate", 6000);
  const keys = arg("keys", 10);
  const base = mkdtempSync(join(tmpdir(), "amltk-ingest-"));
  const serverDir = join(base, "server");
  const srv = child(["--role", "server", "--dir", serverDir]);
  const { url, key } = JSON.parse(await srv.firstLine) as { url: string; key: string };
  const per = Math.ceil(runs / clients);
  const cs = [];
  for (let c = 0; c < clients; c++) {
    const n = Math.min(per, runs - c * per);
    if (n <= 0) break;
    cs.push(
      child([
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
      ]),
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
      },
    );
  }
  srv.kill();
  await srv.output;
  // Count what the server stored: every key of every run must hold exactly the logged rows.
  const { SqliteStore } = await import("../src/store/sqlite/index.js");
  const store = await SqliteStore.open(serverDir);
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
  console.log(
    JSON.stringify(
      {
        bench: "ingest",
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
      },
      null,
      2,
    ),
  );
}

const role = sarg("role");
if (role === "server") await serverRole(sarg("dir")!);
else if (role === "client") await clientRole();
else await main();
