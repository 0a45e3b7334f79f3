import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/index.js";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("examples (built package, run as a user would)", () => {
  it("seed-without-plugin tracks three trials with init", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amltk-example-"));
    dirs.push(dir);
    // As a user runs it: under tsx, whose loader the worker processes then get from the executor.
    const env = { ...process.env, AMLTK_DIR: dir };
    await run(
      process.execPath,
      ["--import", "tsx", join(root, "examples", "seed-without-plugin.ts")],
      {
        cwd: root,
        env,
      },
    );
    const store = await SqliteStore.open(dir);
    try {
      const { runs } = await store.listRuns();
      const byName = new Map(runs.map((r) => [r.name, r]));
      expect([...byName.keys()].sort()).toEqual(["trial-0", "trial-1", "trial-2"]);
      const configs = [
        { x: 1, y: 2, z: 3 },
        { x: -1, y: 2, z: 3 },
        { x: -1, y: 3, z: 4 },
      ];
      const costs = [5, 5, 7];
      for (let i = 0; i < 3; i++) {
        const r = byName.get(`trial-${i}`)!;
        expect(r.project).toBe("my-project");
        expect(r.config).toMatchObject(configs[i]!);
        expect(r.summary).toMatchObject({ cost: costs[i] });
        expect(r.exitCode).toBe(0);
        const keys = await store.historyKeys(r.id);
        expect(keys.find((k) => k.key === "loss")?.count).toBe(10);
      }
    } finally {
      await store.close();
    }
  }, 60_000);
});
