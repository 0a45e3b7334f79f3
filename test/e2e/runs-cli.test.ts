import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/index.js";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = join(root, "bin", "amltk.js");
let dir: string;

// The CLI is the built bin (npm test builds first), reading a real store folder.
async function amltk(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [cli, ...args, "--dir", dir]);
  return stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "amltk-cli-"));
  const store = await SqliteStore.open(dir);
  const now = Date.now();
  await store.createRun({
    id: "run-a",
    project: "p1",
    name: "trial-0",
    createdAt: now,
    config: { x: 1 },
  });
  await store.appendHistory("run-a", [
    { step: 0, runtime: 0.1, timestamp: now / 1000, values: { loss: 3, note: "a,b" } },
    { step: 1, runtime: 0.2, timestamp: now / 1000, values: { loss: 2 } },
  ]);
  await store.updateRun("run-a", { state: "finished", exitCode: 0, summary: { cost: 5 } });
  await store.createRun({ id: "run-b", project: "p2", name: "trial-1", createdAt: now + 1 });
  await store.updateRun("run-b", { state: "failed", exitCode: 2 });
  await store.createRun({ id: "run-c", project: "p2", name: "trial-2", createdAt: now + 2 });
  await store.updateRun("run-c", { state: "pruned", exitCode: 0 });
  await store.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("amltk runs", () => {
  it("lists runs, filtered by project and state", async () => {
    const all = await amltk("runs", "list");
    expect(all).toContain("run-a");
    expect(all).toContain("run-b");
    const p1 = await amltk("runs", "list", "--project", "p1");
    expect(p1).toContain("run-a");
    expect(p1).not.toContain("run-b");
    const failed = await amltk("runs", "list", "--state", "failed");
    expect(failed).toContain("run-b");
    expect(failed).not.toContain("run-a");
    expect(failed).not.toContain("run-c");
    const pruned = await amltk("runs", "list", "--state", "pruned");
    expect(pruned).toContain("run-c");
    expect(pruned).not.toContain("run-b");
  });

  it("rejects an unknown state by name", async () => {
    await expect(amltk("runs", "list", "--state", "weird")).rejects.toThrow(
      /unknown state "weird"/,
    );
  });

  it("shows config, summary, state, exit code and history keys with counts", async () => {
    const shown = JSON.parse(await amltk("runs", "show", "run-a"));
    expect(shown.config).toEqual({ x: 1 });
    expect(shown.summary).toEqual({ cost: 5 });
    expect(shown.state).toBe("finished");
    expect(shown.exitCode).toBe(0);
    expect(shown.historyKeys).toEqual({ loss: 2, note: 1 });
  });

  it("exports history as CSV and JSON", async () => {
    const csv = (await amltk("runs", "export", "run-a", "--format", "csv")).trim().split("\n");
    expect(csv[0]).toBe("_step,_runtime,_timestamp,loss,note");
    expect(csv[1]).toMatch(/^0,0.1,[\d.]+,3,"a,b"$/);
    expect(csv).toHaveLength(3);
    const json = JSON.parse(await amltk("runs", "export", "run-a", "--format", "json"));
    expect(json.map((r: { loss: number }) => r.loss)).toEqual([3, 2]);
  });

  it("names an unknown run id", async () => {
    await expect(amltk("runs", "show", "nope")).rejects.toThrow(/no run with id "nope"/);
  });
});
