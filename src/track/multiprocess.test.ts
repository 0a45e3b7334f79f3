/**
 * Real child processes writing one store at once, and a logging process killed with SIGKILL.
 * Synchronisation is by the child's stdout ("flushed <step>"), never by sleeping.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";

const fixture = join(dirname(fileURLToPath(import.meta.url)), "test-fixtures", "logger.ts");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "amltk-mp-"));
  dirs.push(d);
  return d;
}

function start(args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (b) => {
    out += b;
  });
  child.stderr!.on("data", (b) => {
    out += b;
  });
  return { child, out: () => out };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
}

it("8 processes x 20,000 logs into one store: every point there, no error", async () => {
  const dir = tmp();
  const n = 8;
  const points = 20_000;
  const kids = Array.from({ length: n }, (_, i) => start([dir, `mp${i}`, "bulk", String(points)]));
  const results = await Promise.all(kids.map((k) => exited(k.child)));
  kids.forEach((k, i) => {
    expect(results[i].code, k.out()).toBe(0);
    // No warning or error of any kind ("database is locked" included) reached the user.
    expect(k.out().trim()).toBe(`done mp${i}`);
  });
  const store = await SqliteStore.open(dir);
  try {
    for (let i = 0; i < n; i++) {
      const rec = await store.getRun(`mp${i}`);
      expect(rec).toMatchObject({ state: "finished", exitCode: 0, nextStep: points });
      const pts = await store.readPoints({ runId: `mp${i}`, key: "i" });
      expect(pts).toHaveLength(points);
      expect(pts.every((p, step) => p.step === step && p.value === step)).toBe(true);
      const [keys] = [await store.historyKeys(`mp${i}`)];
      expect(keys.map((k) => [k.key, k.count])).toEqual([
        ["i", points],
        ["loss", points],
      ]);
    }
  } finally {
    await store.close();
  }
});

it("kill -9 keeps every flushed point and the run reads back as crashed", async () => {
  const dir = tmp();
  const k = start([dir, "victim", "forever"]);
  // Wait until the background flusher has persisted a few batches.
  const flushed = await new Promise<number>((resolve, reject) => {
    let reports = 0;
    k.child.stdout!.on("data", () => {
      const steps = [...k.out().matchAll(/flushed (\d+)/g)].map((m) => Number(m[1]));
      reports = steps.length;
      if (reports >= 3) resolve(Math.max(...steps));
    });
    k.child.on("exit", () => reject(new Error(`child exited early: ${k.out()}`)));
  });
  k.child.kill("SIGKILL");
  expect(await exited(k.child)).toMatchObject({ signal: "SIGKILL" });
  const store = await SqliteStore.open(dir);
  try {
    // A reader sees the dead pid and marks the run crashed; it is never left "running".
    const rec = await store.getRun("victim");
    expect(rec?.state).toBe("crashed");
    const pts = await store.readPoints({ runId: "victim", key: "x" });
    expect(pts.length).toBeGreaterThanOrEqual(flushed + 1);
    expect(pts.slice(0, flushed + 1).every((p, step) => p.step === step && p.value === step)).toBe(
      true,
    );
    expect(rec!.nextStep).toBe(pts.length);
  } finally {
    await store.close();
  }
});
