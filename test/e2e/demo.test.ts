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
const dir = mkdtempSync(join(tmpdir(), "amltk-demo-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("amltk demo (built bin)", () => {
  it("runs a 6-trial sweep on 2 workers, prints the table, stores 6 finished runs", async () => {
    const { stdout, stderr } = await run(process.execPath, [
      join(root, "bin", "amltk.js"),
      "demo",
      "--trials",
      "6",
      "--workers",
      "2",
      "--no-serve",
      "--dir",
      dir,
    ]);
    expect(stdout).toMatch(/name\s+status\s+cost\s+x\s+y\s+z/);
    for (let i = 0; i < 6; i++) expect(stdout).toMatch(new RegExp(`trial-${i}\\s+success`));
    expect(stdout).toContain(`amltk runs list --dir ${dir}`);
    expect(stderr).toContain("[6/6] done 6 failed 0");
    const store = await SqliteStore.open(dir);
    try {
      const { runs } = await store.listRuns({ project: "amltk-demo" });
      expect(runs).toHaveLength(6);
      for (const r of runs) {
        expect(r.state).toBe("finished");
        expect(typeof r.summary?.cost).toBe("number");
      }
    } finally {
      await store.close();
    }
  }, 60_000);
});
