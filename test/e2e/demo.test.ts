import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { demoConfigs } from "../../src/cli/demo-command.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(root, "bin", "amltk.js");
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "amltk-demo-"));
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("amltk demo (built bin)", () => {
  it("runs a 6-trial sweep on 2 workers with the plugin, prints the History, stores 6 runs", async () => {
    const dir = tmp();
    const { stdout, stderr } = await run(process.execPath, [
      bin,
      "demo",
      "--trials",
      "6",
      "--workers",
      "2",
      "--project",
      "demo-test",
      "--no-serve",
      "--dir",
      dir,
    ]);
    expect(stdout).toMatch(/name\s+status\s+cost\s+x\s+y\s+z\s+time \(ms\)/);
    for (let i = 0; i < 6; i++) expect(stdout).toMatch(new RegExp(`trial-${i}( \\*)?\\s+success`));
    expect(stdout).toContain(`Runs are stored in ${dir}`);
    expect(stdout).toContain(`amltk runs list --dir ${dir}`);
    expect(stdout).not.toContain("Dashboard:");
    // Not a TTY here: plain progress lines, the last one complete.
    expect(stderr).toMatch(/\[6\/6\] done 6 failed 0 \| best cost 2 \|/);

    const configs = demoConfigs(6);
    const store = await SqliteStore.open(dir);
    try {
      const { runs } = await store.listRuns({ project: "demo-test" });
      runs.sort((a, b) => a.name.localeCompare(b.name));
      expect(runs.map((r) => r.name)).toEqual(configs.map((_, i) => `trial-${i}`));
      for (const [i, r] of runs.entries()) {
        const c = configs[i]!;
        expect(r.config).toEqual(c);
        expect(r.state).toBe("finished");
        expect(r.exitCode).toBe(0);
        expect(r.jobType).toBe("trial");
        expect(r.summary.cost).toBe(c.y + c.z);
        const keys = await store.historyKeys(r.id);
        expect(keys.find((k) => k.key === "loss")?.count).toBe(10);
        // The plugin logged the report too.
        expect(keys.map((k) => k.key)).toEqual(expect.arrayContaining(["status", "metric/cost"]));
      }
    } finally {
      await store.close();
    }
  }, 60_000);

  it("rejects a bad --trials by name before running anything", async () => {
    const dir = tmp();
    const error = await run(process.execPath, [bin, "demo", "--trials", "zero", "--dir", dir]).then(
      () => undefined,
      (e: { stderr: string; code: number }) => e,
    );
    expect(error?.code).not.toBe(0);
    expect(error?.stderr).toContain('--trials must be an integer >= 1, got "zero"');
    expect(existsSync(join(dir, "amltk.db"))).toBe(false);
  });

  it("serves the demo's runs on 127.0.0.1 until SIGINT", async () => {
    const dir = tmp();
    const child = spawn(
      process.execPath,
      [bin, "demo", "--trials", "2", "--workers", "1", "--dir", dir, "--project", "served"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const m = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on("exit", () => reject(new Error(`demo exited before serving:\n${out}`)));
    });
    const body = (await (await fetch(`${url}/api/runs?project=served`)).json()) as {
      runs: { name: string }[];
    };
    expect(body.runs.map((r) => r.name).sort()).toEqual(["trial-0", "trial-1"]);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  }, 60_000);
});
