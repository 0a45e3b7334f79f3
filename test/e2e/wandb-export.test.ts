/**
 * `exportWandbRun` / `amltk export wandb`: a run of our store written as a W&B offline run
 * folder, read back by our importer point for point (everywhere), and by the real wandb 0.30
 * client's own log reader (`wandb leet inspect`, wandb-core's transaction-log reader) where a
 * Python with wandb is found (`AMLTK_PEER_PYTHON`, else `python3`).
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { exportWandbRun } from "../../src/export/export-run.js";
import { importWandbRun } from "../../src/import/import-run.js";
import { ApiKeys } from "../../src/server/auth.js";
import { createServer } from "../../src/server/create-server.js";
import { freshPostgresStore } from "../../src/store/postgres/postgres.test-helpers.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { tempDirs } from "../../src/store/sqlite/sqlite.test-helpers.js";
import type { ConsoleLine, HistoryRow, Store, SystemSample } from "../../src/store/types.js";
import { postgresAvailability } from "../services/postgres.js";
import { skipBecause } from "../skip.js";

const tmp = tempDirs("amltk-wandb-export-");
const T0 = 1_796_000_000; // epoch seconds
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");

/** A run that holds every kind of data an export carries, NaN and Infinity included. */
async function seedRun(store: Store, filesDir: string, id = "exp1", steps = 300): Promise<void> {
  await store.createRun({
    id,
    project: "export-test",
    entity: "team",
    group: "sweep-1",
    jobType: "trial",
    name: "the run",
    notes: 'notes with "quotes" and ünïcode',
    tags: ["a", "b"],
    config: { lr: 0.01, opt: { name: "adam", betas: [0.9, 0.999] }, epochs: 3 },
    createdAt: T0 * 1000 + 123,
    host: "box",
  });
  const rows: HistoryRow[] = Array.from({ length: steps }, (_, i) => ({
    step: i * 2,
    runtime: i * 0.5 + 0.125,
    timestamp: T0 + i * 0.5 + 0.125,
    values: {
      loss: 1 / (i + 1),
      ...(i % 7 === 3 ? { val: Number.NaN } : {}),
      ...(i % 11 === 5 ? { big: Number.POSITIVE_INFINITY, small: Number.NEGATIVE_INFINITY } : {}),
      ...(i === 10 ? { note: "text", flag: true, curve: [1, 0.5] } : {}),
      ...(i === 20
        ? {
            hist: { _type: "histogram", values: [1, 2, 3], bins: [0, 1, 2, 3] },
            img: { _type: "image-file", path: "media/images/x.png", width: 2, height: 1 },
          }
        : {}),
    },
  }));
  await store.appendHistory(id, rows);
  const samples: SystemSample[] = Array.from({ length: 20 }, (_, i) => ({
    timestamp: T0 + i * 10,
    values: { "system/cpu": 10 + i, "system/rss_mib": 100 + i / 4 },
  }));
  await store.appendSystem(id, samples);
  const lines: ConsoleLine[] = [
    { stream: "stdout", timestamp: T0 + 1.25, text: "epoch 1" },
    { stream: "stderr", timestamp: T0 + 2.5, text: "warning: NaN seen" },
    { stream: "stdout", timestamp: T0 + 3.75, text: "" },
  ];
  await store.appendConsole(id, lines);
  await store.updateRun(id, {
    summary: { loss: 0.01, best: Number.NEGATIVE_INFINITY, acc: { max: 0.9 } },
    state: "finished",
    exitCode: 0,
    finishedAt: (T0 + steps) * 1000,
    heartbeatAt: (T0 + steps) * 1000,
  });
  mkdirSync(join(filesDir, id, "media", "images"), { recursive: true });
  writeFileSync(join(filesDir, id, "media", "images", "x.png"), PNG);
}

/** Exports `id` from one store and imports it into a fresh one; returns both stores. */
async function roundTrip(id: string, steps: number) {
  const home = tmp();
  const a = await SqliteStore.open(join(home, "a"));
  const b = await SqliteStore.open(join(home, "b"));
  await seedRun(a, join(home, "a", "files"), id, steps);
  const out = join(home, "wandb");
  const exported = await exportWandbRun(a, id, { out, filesDir: join(home, "a", "files") });
  const imported = await importWandbRun(exported.file, b, { filesDir: join(home, "b", "files") });
  return { home, a, b, exported, imported };
}

describe("export to W&B offline run folders", () => {
  it("round-trips a run through export and import, point for point", async () => {
    const { home, a, b, exported, imported } = await roundTrip("exp1", 300);
    try {
      expect(exported).toMatchObject({ steps: 300, systemSamples: 20, consoleLines: 3, files: 1 });
      expect(exported.dir).toBe(join(home, "wandb", "offline-run-20261130_005320-exp1"));
      expect(imported).toMatchObject({
        status: "imported",
        steps: 300,
        droppedRows: 0,
        droppedSteps: 0,
        systemSamples: 20,
        consoleLines: 3,
        filesCopied: 1,
        state: "finished",
      });
      const [ra, rb] = [(await a.getRun("exp1"))!, (await b.getRun("exp1"))!];
      for (const k of ["project", "entity", "group", "jobType", "name", "notes", "tags"] as const) {
        expect(rb[k]).toEqual(ra[k]);
      }
      expect(rb.config).toEqual(ra.config);
      expect(rb.summary).toEqual(ra.summary);
      expect(rb).toMatchObject({ state: "finished", exitCode: 0, createdAt: ra.createdAt });

      // Every history point, NaN and Infinity included (toEqual treats NaN as equal to NaN).
      expect(await b.readHistory("exp1")).toEqual(await a.readHistory("exp1"));
      const ca = await a.readConsole("exp1");
      const cb = await b.readConsole("exp1");
      expect(cb.map((l) => [l.stream, l.text])).toEqual(ca.map((l) => [l.stream, l.text]));
      for (const [i, l] of cb.entries()) expect(l.timestamp).toBeCloseTo(ca[i]!.timestamp, 5);
      // W&B names system metrics `system.<key>`: our tracker's `system/cpu` comes back so.
      const sys = await b.readSeries({
        runIds: ["exp1"],
        keys: ["system.cpu", "system.rss_mib"],
        x: "time",
        buckets: 20,
        source: "system",
      });
      expect(sys[0]!.buckets.map((x) => x.last)).toEqual(
        Array.from({ length: 20 }, (_, i) => 10 + i),
      );
      expect(sys[1]!.buckets.map((x) => x.last)).toEqual(
        Array.from({ length: 20 }, (_, i) => 100 + i / 4),
      );
      const png = join(home, "b", "files", "exp1", "media", "images", "x.png");
      expect(readFileSync(png)).toEqual(PNG);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("names a run the store does not hold, and amltk export wandb writes each run it is given", async () => {
    const home = tmp();
    const store = await SqliteStore.open(home);
    await seedRun(store, join(home, "files"), "r1", 5);
    await seedRun(store, join(home, "files"), "r2", 7);
    await expect(exportWandbRun(store, "nope", { out: join(home, "x") })).rejects.toMatchObject({
      name: "WandbExportError",
      code: "no_such_run",
    });
    await store.close();

    const out: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((s: string) => void out.push(s));
    try {
      await main([
        "node",
        "amltk",
        "export",
        "wandb",
        "r1",
        "r2",
        "--out",
        join(home, "w"),
        "--dir",
        home,
      ]);
    } finally {
      log.mockRestore();
    }
    expect(out[0]).toMatch(
      /^exported r1: 5 steps, 20 system samples, 3 console lines, 1 files -> /,
    );
    expect(out[1]).toMatch(/^exported r2: 7 steps/);
    expect(out[2]).toContain("wandb sync");
  });

  const PG = postgresAvailability("W&B export and import on PostgreSQL");
  const noPg = skipBecause(!PG.found, "W&B export and import on PostgreSQL", PG.reason);
  it.skipIf(noPg)("imports into and exports from a PostgreSQL store the same way", async () => {
    const home = tmp();
    const a = await SqliteStore.open(join(home, "a"));
    const pg = await freshPostgresStore();
    const c = await SqliteStore.open(join(home, "c"));
    try {
      await seedRun(a, join(home, "a", "files"), "pg1", 150);
      const first = await exportWandbRun(a, "pg1", { out: join(home, "w1") });
      expect(await importWandbRun(first.file, pg)).toMatchObject({ steps: 150, consoleLines: 3 });
      const second = await exportWandbRun(pg, "pg1", { out: join(home, "w2") });
      expect(second).toMatchObject({ steps: 150, systemSamples: 20, consoleLines: 3 });
      await importWandbRun(second.file, c);
      expect(await c.readHistory("pg1")).toEqual(await a.readHistory("pg1"));
      expect((await c.getRun("pg1"))!.summary).toEqual((await a.getRun("pg1"))!.summary);
    } finally {
      await a.close();
      await pg.close();
      await c.close();
    }
  });

  const python = process.env.AMLTK_PEER_PYTHON ?? "python3";
  const hasWandb =
    spawnSync(python, ["-c", "import wandb; assert wandb.__version__.startswith('0.30')"], {
      stdio: "ignore",
    }).status === 0;
  const noWandb = `no Python with wandb 0.30 at ${python} (set AMLTK_PEER_PYTHON; pip install wandb==0.30.0 from the local mirror, see ../shared/peers/README.md)`;

  it.skipIf(skipBecause(!hasWandb, "wandb sync uploads the export", noWandb))(
    "is uploaded by the real wandb sync to a W&B-protocol server (ours) without an error",
    async () => {
      const home = tmp();
      const a = await SqliteStore.open(join(home, "a"));
      await seedRun(a, join(home, "a", "files"), "exp3", 200);
      const exported = await exportWandbRun(a, "exp3", {
        out: join(home, "wandb"),
        filesDir: join(home, "a", "files"),
      });
      const dst = await SqliteStore.open(join(home, "server"));
      const { key } = new ApiKeys(dst.db).create("sync");
      const server = await createServer({ store: dst, port: 0 });
      try {
        // Async: the server answers from this process's event loop while wandb syncs.
        const { stdout, stderr } = await promisify(execFile)(
          python,
          ["-m", "wandb", "sync", exported.dir],
          {
            cwd: home,
            timeout: 120_000,
            env: {
              ...process.env,
              WANDB_BASE_URL: server.url,
              WANDB_API_KEY: key,
              WANDB_CONFIG_DIR: join(home, "wandb-config"),
              WANDB_CACHE_DIR: join(home, "wandb-cache"),
            },
          },
        );
        expect(`${stdout}${stderr}`).toContain("Finished syncing");
        expect(`${stdout}${stderr}`).not.toMatch(/error|failed/i);
        const got = (await dst.getRun("exp3"))!;
        const want = (await a.getRun("exp3"))!;
        expect(got).toMatchObject({ name: want.name, project: want.project, tags: want.tags });
        const rows = await dst.readHistory("exp3");
        expect(rows.map((r) => r.step)).toEqual((await a.readHistory("exp3")).map((r) => r.step));
        expect(rows.map((r) => r.values.loss)).toEqual(
          (await a.readHistory("exp3")).map((r) => r.values.loss),
        );
        // wandb turns StatsRecords into `system.<key>` events: the same names as an import gives.
        expect(await dst.systemKeys("exp3")).toEqual(["system.cpu", "system.rss_mib"]);
        // An empty console line does not arrive through wandb sync's output.log stream.
        const texts = (await a.readConsole("exp3")).map((l) => l.text).filter((t) => t !== "");
        expect((await dst.readConsole("exp3")).map((l) => l.text)).toEqual(texts);
        expect(existsSync(join(home, "server", "files", "exp3", "media", "images", "x.png"))).toBe(
          true,
        );
      } finally {
        await server.close();
        await a.close();
      }
    },
  );

  it.skipIf(skipBecause(!hasWandb, "wandb client reads the export", noWandb))(
    "is read by the real wandb 0.30 client's log reader without an error",
    async () => {
      const { a, b, exported } = await roundTrip("exp2", 500);
      await a.close();
      await b.close();
      const text = execFileSync(python, ["-m", "wandb", "leet", "inspect", exported.file], {
        encoding: "utf8",
        maxBuffer: 64 << 20,
      });
      // wandb-core reports a bad chunk, CRC or record as "# skipped corrupt data: ..." and goes on.
      expect(text).not.toMatch(/corrupt|error/i);
      const kinds = [...text.matchAll(/^# record \d+: (\w+)$/gm)].map((m) => m[1]);
      const count = (k: string) => kinds.filter((x) => x === k).length;
      expect(kinds.slice(0, 2)).toEqual(["header", "run"]);
      expect(count("history")).toBe(500);
      expect(count("stats")).toBe(20);
      expect(count("output_raw")).toBe(3);
      expect(kinds.slice(-3)).toEqual(["files", "summary", "exit"]);
      expect(text).toContain('display_name: "the run"');
      expect(text).toContain('value_json: "NaN"');
      expect(text).toContain('value_json: "-Infinity"');
    },
  );
});
