import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { init } from "./init.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "amltk-track-"));
  dirs.push(d);
  return d;
}

async function openStore(dir: string) {
  const { SqliteStore } = await import("../store/sqlite/index.js");
  return SqliteStore.open(dir);
}

it("offline round trip through the default SqliteStore", async () => {
  const dir = tmp();
  const run = await init({ dir, project: "rt", systemInterval: 0, reinit: "create_new" });
  run.config.update({ lr: 0.1 });
  run.defineMetric("acc", { summary: "max" });
  run.log({ acc: 0.5, nested: { loss: 2 } });
  run.log({ acc: 0.9, nested: { loss: 1 } });
  run.log({ acc: 0.7, nested: { loss: Number.NaN } });
  await run.finish();
  const store = await openStore(dir);
  try {
    const rec = await store.getRun(run.id);
    expect(rec?.state).toBe("finished");
    expect(rec?.exitCode).toBe(0);
    expect(rec?.config).toEqual({ lr: 0.1 });
    expect(rec?.summary).toEqual({ acc: { max: 0.9 }, "nested/loss": Number.NaN });
    expect(rec?.nextStep).toBe(3);
    const rows = await store.readHistory(run.id);
    expect(rows.map((r) => r.step)).toEqual([0, 1, 2]);
    expect(rows[1].values).toEqual({ acc: 0.9, "nested/loss": 1 });
  } finally {
    await store.close();
  }
  const again = await init({
    dir,
    id: run.id,
    resume: "must",
    systemInterval: 0,
    reinit: "create_new",
  });
  expect(again.step).toBe(3);
  again.log({ acc: 1 });
  await again.finish();
  const s2 = await openStore(dir);
  try {
    expect((await s2.readHistory(run.id)).map((r) => r.step)).toEqual([0, 1, 2, 3]);
  } finally {
    await s2.close();
  }
});

it("writes buffered rows on process exit without finish", async () => {
  const dir = tmp();
  const script = `
    import { init } from ${JSON.stringify(new URL("./init.ts", import.meta.url).pathname)};
    const run = await init({ dir: ${JSON.stringify(dir)}, id: "exit1", systemInterval: 0 });
    for (let i = 0; i < 1000; i++) run.log({ i });
    run.log({ last: 1 }, { commit: false });
    process.exit(3);
  `;
  expect(() =>
    execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: "pipe",
    }),
  ).toThrow();
  const store = await openStore(dir);
  try {
    const rows = await store.readHistory("exit1");
    expect(rows.length).toBe(1001);
    expect(rows[1000].values).toEqual({ last: 1 });
    const rec = await store.getRun("exit1");
    expect(rec?.state).toBe("failed");
    expect(rec?.exitCode).toBe(3);
    expect(rec?.summary).toEqual({ i: 999, last: 1 });
  } finally {
    await store.close();
  }
});

it("reuses one open store per folder, and reopens when the database was deleted", async () => {
  const dir = tmp();
  const a = await init({ dir, systemInterval: 0, reinit: "create_new" });
  a.log({ x: 1 });
  await a.finish();
  rmSync(dir, { recursive: true, force: true });
  const b = await init({ dir, systemInterval: 0, reinit: "create_new" });
  b.log({ x: 2 });
  await b.finish();
  const store = await openStore(dir);
  try {
    expect(await store.getRun(a.id)).toBeUndefined();
    expect((await store.readPoints({ runId: b.id, key: "x" })).map((p) => p.value)).toEqual([2]);
  } finally {
    await store.close();
  }
});
