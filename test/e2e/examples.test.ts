/**
 * Every seed example runs as a user runs it (`tsx examples/<name>.ts`, importing the built
 * package), on worker processes, into a fresh store; then the store is read back.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import type { RunRecord } from "../../src/store/types.js";

const exec = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const CONFIGS = [
  { x: 1, y: 2, z: 3 },
  { x: -1, y: 2, z: 3 },
  { x: -1, y: 3, z: 4 },
];
const COSTS = [5, 5, 7];
const lossAt = (c: { x: number; y: number; z: number }, i: number) =>
  i * c.x + 3 * (i * c.y) - (i * c.z) ** 2;

interface Stored {
  run: RunRecord;
  keys: string[];
  losses: unknown[];
}

/** Runs `examples/<file>` under tsx with AMLTK_DIR set; returns its stdout and the runs by name. */
async function runExample(file: string): Promise<{ stdout: string; runs: Map<string, Stored> }> {
  const dir = mkdtempSync(join(tmpdir(), "amltk-example-"));
  dirs.push(dir);
  // A non-zero exit rejects, so this also checks the example's process exit code is 0.
  const { stdout } = await exec(
    process.execPath,
    ["--import", "tsx", join(root, "examples", file)],
    { cwd: root, env: { ...process.env, AMLTK_DIR: dir } },
  );
  const store = await SqliteStore.open(dir);
  try {
    const { runs } = await store.listRuns();
    const out = new Map<string, Stored>();
    for (const run of runs) {
      const keys = (await store.historyKeys(run.id)).map((k) => k.key);
      const rows = await store.readHistory(run.id);
      const losses = rows.filter((r) => "loss" in r.values).map((r) => r.values.loss);
      out.set(run.name, { run, keys, losses });
    }
    return { stdout, runs: out };
  } finally {
    await store.close();
  }
}

/** What every seed example stores: one finished run per trial, its config, 10 losses, cost. */
function expectSeedRuns(runs: Map<string, Stored>, project: string): void {
  expect([...runs.keys()].sort()).toEqual(["trial-0", "trial-1", "trial-2"]);
  CONFIGS.forEach((config, i) => {
    const { run, losses } = runs.get(`trial-${i}`)!;
    expect(run.project).toBe(project);
    expect(run.config).toEqual(config);
    expect(losses).toEqual(Array.from({ length: 10 }, (_, s) => lossAt(config, s)));
    expect(run.summary.cost).toBe(COSTS[i]);
    expect(run.state).toBe("finished");
    expect(run.exitCode).toBe(0);
  });
}

describe("seed examples (built package, run as a user would)", () => {
  it("seed-without-plugin: init inside the function tracks three trials", async () => {
    const { runs } = await runExample("seed-without-plugin.ts");
    expectSeedRuns(runs, "my-project");
    // Only what the function logged: no report keys without the plugin.
    for (const { keys } of runs.values()) expect(keys).toEqual(["loss"]);
  }, 60_000);

  it("seed-with-plugin: the plugin opens, fills and finishes each run", async () => {
    const { stdout, runs } = await runExample("seed-with-plugin.ts");
    expectSeedRuns(runs, "amltk-test2");
    expect(stdout).toMatch(/trial-0: success/);
    for (const { run, keys } of runs.values()) {
      expect(run.jobType).toBe("trial");
      expect(run.group).toBe("seed");
      expect(run.tags).toEqual([]);
      // The report, logged by the plugin: status, metric values, profiled time and memory.
      expect(keys).toEqual(
        expect.arrayContaining([
          "loss",
          "status",
          "metric/cost",
          "profile/trial/time/duration",
          "profile/trial/memory/diff",
        ]),
      );
    }
  }, 60_000);

  it("seed-advanced-modify: modify tags runs positive or negative by x", async () => {
    const { runs } = await runExample("seed-advanced-modify.ts");
    expectSeedRuns(runs, "amltk-test2");
    expect(runs.get("trial-0")!.run.tags).toEqual(["positive"]);
    expect(runs.get("trial-1")!.run.tags).toEqual(["negative"]);
    expect(runs.get("trial-2")!.run.tags).toEqual(["negative"]);
  }, 60_000);
});

describe("examples/ask-tell.ts", () => {
  it("drives TPE by hand: the same seed gives the same best trial, and it learns", async () => {
    const once = async () => {
      const { stdout } = await exec(
        process.execPath,
        ["--import", "tsx", join(root, "examples", "ask-tell.ts")],
        { cwd: root },
      );
      return JSON.parse(stdout.trim().split("\n").at(-1) as string) as {
        loss: number;
        config: Record<string, unknown>;
      };
    };
    const [a, b] = [await once(), await once()];
    expect(a).toEqual(b);
    // The optimum is 0; a blind guess averages well above 5 on this function.
    expect(a.loss).toBeLessThan(2);
    // gamma is there exactly when its parent makes it active (absent, not undefined, otherwise).
    expect("gamma" in a.config).toBe(a.config.kind === "rbf");
  }, 60_000);
});

/**
 * The code in the guide and the README is the code the tests run: every ```ts block starts
 * with `// examples/<file>` and must appear, line for line (indentation aside), in that
 * file.
 */
describe("docs show the examples as they are", () => {
  const norm = (text: string) => text.split("\n").map((l) => l.trim());
  function blocks(doc: string): { file: string; lines: string[] }[] {
    const text = readFileSync(join(root, doc), "utf8");
    return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].flatMap((m) => {
      const [first, ...rest] = m[1]!.trimEnd().split("\n");
      const file = /^\/\/ (examples\/[\w.-]+\.ts)$/.exec(first!.trim())?.[1];
      // No unchecked TypeScript in the docs: every block names the file it comes from.
      if (!file) throw new Error(`${doc}: a ts block does not start with // examples/<file>`);
      return [{ file, lines: norm(rest.join("\n")) }];
    });
  }
  function contains(haystack: string[], needle: string[]): boolean {
    for (let i = 0; i + needle.length <= haystack.length; i++) {
      if (needle.every((l, j) => haystack[i + j] === l)) return true;
    }
    return false;
  }

  it.each(["docs/guides/tracking-trials.md", "docs/guides/optimizing.md", "README.md"])(
    "%s",
    (doc) => {
      const found = blocks(doc);
      expect(found.length).toBeGreaterThan(0);
      for (const { file, lines } of found) {
        const source = norm(readFileSync(join(root, file), "utf8"));
        expect(contains(source, lines), `${doc}: a block differs from ${file}`).toBe(true);
      }
    },
  );
});
