/**
 * W&B protocol benchmark (issue 14): a 200,000-step run logged through our server's W&B routes
 * (`/graphql`, `file_stream`), by our W&B-online tracker (`init({ mode: "online", protocol:
 * "wandb" })`) always, and by the real wandb 0.30 Python client when one is found
 * (`AMLTK_PEER_PYTHON`, else `python3`). Afterwards the points are counted in the server's store
 * (none lost, none doubled).
 *
 * Run: `npx tsx bench/wandb-protocol.ts [--steps 200000] [--keys 4]`. Prints one JSON object.
 * The server runs in a child process (`createServer` over a SqliteStore), the writers here.
 * points/s = steps × keys / (init → finish returned, everything acknowledged).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { init } from "../src/track/init.js";
import { hasWandb, PYTHON, runPython } from "../test/fixtures/wandb-protocol/wandb-python.js";

const argv = process.argv.slice(2);
function arg(name: string, def: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
}
const self = fileURLToPath(import.meta.url);

if (argv[0] === "serve") await serve(argv[1]!);
else await main();

/** The server role: prints `{ url, key }`, then serves until killed. */
async function serve(dir: string): Promise<void> {
  const { SqliteStore } = await import("../src/store/sqlite/index.js");
  const { ApiKeys } = await import("../src/server/auth.js");
  const { createServer } = await import("../src/server/create-server.js");
  const store = await SqliteStore.open(dir);
  const { key } = new ApiKeys(store.db).create("bench");
  const server = await createServer({ store });
  console.log(JSON.stringify({ url: server.url, key }));
}

function startServer(dir: string): Promise<{ url: string; key: string; stop: () => void }> {
  const p = spawn(process.execPath, ["--import", "tsx", self, "serve", dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve({ ...JSON.parse(out.slice(0, nl)), stop: () => p.kill("SIGKILL") });
    });
    p.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
}

async function countPoints(
  dir: string,
  runId: string,
  key: string,
): Promise<{ n: number; distinct: number }> {
  const { SqliteStore } = await import("../src/store/sqlite/index.js");
  const store = await SqliteStore.open(dir);
  try {
    const pts = await store.readPoints({ runId, key });
    return { n: pts.length, distinct: new Set(pts.map((p) => p.step)).size };
  } finally {
    await store.close();
  }
}

async function ours(url: string, key: string, clientDir: string, steps: number, keys: number) {
  const names = Array.from({ length: keys }, (_, k) => `m${k}`);
  const t0 = performance.now();
  const run = await init({
    dir: clientDir,
    id: "ours",
    project: "bench",
    mode: "online",
    protocol: "wandb",
    baseUrl: url,
    apiKey: key,
    finishTimeoutMs: 600_000,
    systemInterval: 0,
  });
  const row: Record<string, number> = {};
  for (let i = 0; i < steps; i++) {
    for (let k = 0; k < keys; k++) row[names[k]!] = i * 0.5 + k;
    run.log(row);
    if (i % 5000 === 4999) await new Promise((r) => setImmediate(r));
  }
  const t1 = performance.now();
  await run.finish();
  const t2 = performance.now();
  return { log_s: (t1 - t0) / 1000, total_s: (t2 - t0) / 1000 };
}

async function main(): Promise<void> {
  const steps = arg("steps", 200_000);
  const keys = arg("keys", 4);
  const root = mkdtempSync(join(tmpdir(), "amltk-bench-wandb-"));
  const serverDir = join(root, "server");
  const server = await startServer(serverDir);
  const result: Record<string, unknown> = { bench: "wandb-protocol", steps, keys };
  try {
    const o = await ours(server.url, server.key, join(root, "client"), steps, keys);
    const c = await countPoints(serverDir, "ours", "m0");
    result.ours = {
      ...o,
      points_per_s: Math.round((steps * keys) / o.total_s),
      stored: c.n,
      doubled: c.n - c.distinct,
      lost: steps - c.distinct,
    };
    if (hasWandb()) {
      const t0 = performance.now();
      const r = await runPython(
        fileURLToPath(new URL("../test/fixtures/wandb-protocol/bench_client.py", import.meta.url)),
        {
          WANDB_BASE_URL: server.url,
          WANDB_API_KEY: server.key,
          WANDB_DIR: root,
          RUN_ID: "wandb-client",
          STEPS: String(steps),
          KEYS: String(keys),
        },
        1_200_000,
      );
      const total = (performance.now() - t0) / 1000;
      const times = JSON.parse(r.output.trim().split("\n").at(-1) ?? "{}") as Record<
        string,
        number
      >;
      const cc = await countPoints(serverDir, "wandb-client", "m0");
      result.wandb_client = {
        python: PYTHON,
        exit: r.code,
        ...times,
        total_s: total,
        points_per_s: Math.round((steps * keys) / total),
        stored: cc.n,
        doubled: cc.n - cc.distinct,
        lost: steps - cc.distinct,
      };
    } else {
      result.wandb_client = `skipped: no Python with wandb 0.30 at ${PYTHON} (set AMLTK_PEER_PYTHON)`;
    }
  } finally {
    server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  console.log(JSON.stringify(result));
  process.exit(0);
}
