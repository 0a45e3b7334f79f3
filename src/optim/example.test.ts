import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("examples/optimize-tpe.ts (built package, as a user runs it)", () => {
  it("runs TPE with pruning on processes, tracks every trial, finds a good config", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amltk-optimize-example-"));
    dirs.push(dir);
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", join(root, "examples", "optimize-tpe.ts")],
      { cwd: root, env: { ...process.env, AMLTK_DIR: dir, MAX_TRIALS: "40" } },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1) as string) as {
      trials: number;
      pruned: number;
      best: { name: string; loss: number; config: Record<string, unknown> } | null;
    };
    expect(result.trials).toBe(40);
    expect(result.pruned).toBeGreaterThan(0);
    // The level is 0 at lr = 0.01, width = 64, adam; plus 2/20 after the last epoch.
    expect(result.best?.loss).toBeLessThan(0.6);
    // stderr is not a TTY here: plain progress lines, the last one complete.
    expect(stderr).toMatch(/\[40\/40\] done \d+ failed \d+ pruned \d+ \| best loss/);
    expect(stderr).not.toContain("\r");
    const store = await SqliteStore.open(dir);
    try {
      const { runs } = await store.listRuns();
      expect(runs.length).toBe(40);
      expect(runs.every((r) => r.project === "optimize-tpe")).toBe(true);
    } finally {
      await store.close();
    }
  }, 120_000);
});
