/** Shared by the SQLite store's tests: temp folders, databases left by older schema versions, a trial-sized history. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll } from "vitest";
import type { HistoryRow } from "../types.js";
import { MIGRATIONS } from "./index.js";

/** A maker of temp folders (named `<prefix>XXXXXX`), all removed after the file's tests. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

/**
 * `<dir>/amltk.db` as schema `version` left it (the first `version` migrations), holding one
 * finished run `runId` (project "p", created at 5). Open: the caller adds rows and closes it.
 */
export function oldDatabase(dir: string, version: number, runId: string): Database.Database {
  const old = new Database(join(dir, "amltk.db"));
  for (const m of MIGRATIONS.slice(0, version)) old.exec(m);
  old.pragma(`user_version = ${version}`);
  old
    .prepare(
      "INSERT INTO runs (id, project, name, state, created_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .run(runId, "p", "n", "finished", 5, 5);
  return old;
}

/** A trial-sized history with every kind of value, gapped steps and keys in two alphabets. */
export function trialRows(): HistoryRow[] {
  const steps = [0, 1, 2, 3, 7, 8, 20];
  return steps.map((step, i) => ({
    step,
    runtime: i / 10,
    timestamp: 1_700_000_000 + i / 7,
    values: {
      loss: [1.5, -0, Number.NaN, Number.POSITIVE_INFINITY, 0.25, Number.NEGATIVE_INFINITY, 3][i],
      ...(i % 2 === 0 ? { "acc/top1": i * 0.1, "ü/ключ": -i } : {}),
      ...(i === 6 ? { status: "success", note: { a: [1, null, Number.NaN] }, z: true } : {}),
      ...(i === 3 ? { mixed: "three" } : i === 4 ? { mixed: 4 } : {}),
    } as HistoryRow["values"],
  }));
}
