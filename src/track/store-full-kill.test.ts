/**
 * A writer killed (SIGKILL) while its store is full and it holds refused batches in memory:
 * every point the store confirmed before is there, nothing after it is half-written, the file
 * is intact, and a reader marks the run crashed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import { tempDirs } from "../store/sqlite/sqlite.test-helpers.js";

const tmp = tempDirs("amltk-full-kill-");
const fixture = join(import.meta.dirname, "test-fixtures", "full-writer.ts");
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

/** Resolves with the child's `full ...` line, or rejects when it exits first or after 60 s. */
function fullLine(child: ChildProcess): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let out = "";
    const deadline = setTimeout(() => reject(new Error(`no "full" line: ${out}`)), 60_000);
    child.stdout!.on("data", (b) => {
      out += b;
      const m = /^full (.+)$/m.exec(out);
      if (m) {
        clearTimeout(deadline);
        resolve(m[1]!.split(" "));
      }
    });
    child.stderr!.on("data", (b) => {
      out += b;
    });
    child.on("close", (code) => reject(new Error(`writer exited (${code}): ${out}`)));
  });
}

it("SIGKILL after a full-disk error: everything confirmed before is stored, without gaps", async () => {
  const dir = tmp();
  const child = spawn(process.execPath, ["--import", "tsx", fixture, dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const [id, flushed, held] = await fullLine(child);
  const flushedStep = Number(flushed);
  expect(flushedStep).toBeGreaterThanOrEqual(999);
  expect(Number(held)).toBeGreaterThan(0); // rows only in memory when the process dies
  const exit = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exit;

  const store = SqliteStore.openSync(dir);
  try {
    expect(store.db.pragma("integrity_check", { simple: true })).toBe("ok");
    for (const key of ["loss", "acc"]) {
      const steps = (await store.readPoints({ runId: id!, key })).map((p) => p.step);
      expect(steps).toEqual([...Array(flushedStep + 1).keys()]);
    }
    expect((await store.getRun(id!))?.state).toBe("crashed");
  } finally {
    store.closeSync();
  }
});

it("a process that ends without finish() on a full store: the run is closed failed (74), the loss reported", async () => {
  const dir = tmp();
  const child = spawn(process.execPath, ["--import", "tsx", fixture, dir, "exit"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let err = "";
  child.stderr!.on("data", (b) => {
    err += b;
  });
  const exit = new Promise<number | null>((r) => child.once("exit", r));
  const [id, flushed] = await fullLine(child);
  expect(await exit).toBe(0);
  expect(id).toBeDefined();
  expect(err).toMatch(/amltk\.db is full.*; \d+ logged points were not stored/);
  const store = SqliteStore.openSync(dir);
  try {
    expect(await store.getRun(id!)).toMatchObject({ state: "failed", exitCode: 74 });
    const steps = (await store.readPoints({ runId: id!, key: "loss" })).map((p) => p.step);
    expect(steps.length).toBeGreaterThanOrEqual(Number(flushed) + 1);
    expect(steps).toEqual([...Array(steps.length).keys()]);
  } finally {
    store.closeSync();
  }
});
