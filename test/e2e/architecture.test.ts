/**
 * The house rules, enforced: docs/architecture.md's import rules and no runtime import cycle
 * (dependency-cruiser over the built package), and every built module importable on its own,
 * first, in a fresh module graph (an import cycle shows up there as "Cannot access 'X' before
 * initialization" when the wrong module is loaded first).
 *
 * The package is compiled afresh into a temporary folder laid out like the real one
 * (`package.json` beside `dist/`, `node_modules` linked), so the test never reads a stale
 * `dist/` and never rewrites the one other tests run.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RULES } from "./architecture-rules.js";

const ROOT = join(import.meta.dirname, "..", "..");

/**
 * Entry scripts, not modules: started by the worker pool as a thread or process main, they
 * talk to their parent as soon as they load.
 */
const ENTRY_SCRIPTS = new Set(["scheduling/executors/worker.js"]);

let home: string;
let dist: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "amltk-architecture-"));
  dist = join(home, "dist");
  cpSync(join(ROOT, "package.json"), join(home, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(home, "node_modules"), "dir");
  await compile(dist);
}, 120_000);

afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

/** `tsc -p tsconfig.build.json` into `outDir`; type errors are other tests' business. */
async function compile(outDir: string): Promise<void> {
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  const args = ["-p", join(ROOT, "tsconfig.build.json"), "--outDir", outDir];
  await promisify(execFile)(tsc, [...args, "--declaration", "false", "--sourceMap", "false"], {
    cwd: ROOT,
  }).catch((error: { stdout?: string }) => {
    // tsc still emits on type errors; only a missing output is this test's failure.
    if (readdirSync(outDir, { recursive: true }).length === 0) throw error;
  });
}

function builtModules(): string[] {
  return readdirSync(dist, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".js"))
    .map((f) => f.split("\\").join("/"))
    .sort();
}

describe("architecture", () => {
  it("keeps the import rules of docs/architecture.md and has no runtime cycle", async () => {
    const { output } = await cruise(["dist"], {
      baseDir: home,
      validate: true,
      ruleSet: { forbidden: RULES.map((r) => ({ ...r, severity: "error" as const })) },
      doNotFollow: { path: "node_modules" },
    });
    const result = output as ICruiseResult;
    // The graph is the whole package: every built module was cruised.
    const cruised = result.modules.filter((m) => m.source.startsWith("dist/"));
    expect(cruised.length).toBe(builtModules().length);
    const violations = result.summary.violations.map((v) =>
      v.cycle
        ? `${v.rule.name}: ${[v.from, ...v.cycle.map((c) => c.name)].join(" -> ")}`
        : `${v.rule.name}: ${v.from} -> ${v.to}`,
    );
    expect(violations).toEqual([]);
  }, 60_000);

  it("imports every built module first, each in a fresh module graph", async () => {
    const modules = builtModules().filter((m) => !ENTRY_SCRIPTS.has(m));
    expect(modules).toContain("trial/trial-task.js");
    const failures = await mapLimit(modules, 4, (m) => importAlone(join(dist, m)));
    expect(modules.flatMap((m, i) => (failures[i] ? [`${m}: ${failures[i]}`] : []))).toEqual([]);
  }, 120_000);
});

/**
 * Imports `file` as the only module of a new worker thread (its own module graph) and
 * resolves to the import's error message, or `undefined` when it loaded.
 */
function importAlone(file: string): Promise<string | undefined> {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    import(workerData).then(
      () => parentPort.postMessage(null),
      (e) => parentPort.postMessage(String(e && e.stack || e)),
    );`;
  const worker = new Worker(code, {
    eval: true,
    workerData: pathToFileURL(file).href,
    stdout: true,
    stderr: true,
  });
  return new Promise<string | undefined>((resolve) => {
    worker.once("message", (m: string | null) => resolve(m ?? undefined));
    worker.once("error", (e) => resolve(String(e.stack ?? e)));
    worker.once("exit", (code) => resolve(`exited with ${code} before the import settled`));
  }).finally(() => worker.terminate());
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
