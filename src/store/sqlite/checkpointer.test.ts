import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runTsx } from "../child-process.test-helpers.js";
import {
  HOST_CHECKPOINTED_WAL_PAGES,
  markHostCheckpointed,
  runningCheckpointers,
  WalCheckpointer,
  walAutocheckpointOf,
} from "./checkpointer.js";
import type { CheckpointThreadBye } from "./checkpointer-thread.js";
import { openDb } from "./db.js";
import { tempDirs } from "./sqlite.test-helpers.js";

const tmp = tempDirs("amltk-ckpt-");

function walBytes(file: string): number {
  return existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0;
}

/**
 * The WAL header's checkpoint sequence number (big-endian at byte 12): SQLite moves it each time
 * a writer starts the WAL over from its beginning, which it may only do after a complete
 * checkpoint.
 */
function walSequence(file: string): number {
  const header = readFileSync(`${file}-wal`).subarray(0, 16);
  return header.length < 16 ? -1 : header.readUInt32BE(12);
}

/** Commits `n` transactions of one ~4 KiB row each (a page or two of WAL per commit). */
function commit(db: ReturnType<typeof openDb>, n: number, from = 0): void {
  const insert = db.prepare("INSERT INTO filler (id, body) VALUES (?, ?)");
  for (let i = from; i < from + n; i++) insert.run(i, Buffer.alloc(4000, i % 251));
}

describe("WalCheckpointer", () => {
  it("checkpoints a host-checkpointed WAL off the writer and stops with no thread left", async () => {
    const dir = tmp();
    const file = join(dir, "amltk.db");
    markHostCheckpointed(file);
    const db = openDb(dir);
    try {
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(HOST_CHECKPOINTED_WAL_PAGES);
      db.exec("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)");
      const before = runningCheckpointers();
      const checkpointer = new WalCheckpointer(file, 20);
      expect(runningCheckpointers()).toBe(before + 1);
      // 3,000 commits of ~1-2 pages: past SQLite's default 1,000 pages, below the safety net.
      // The writer does not checkpoint itself here; the WAL stays bounded only through the thread.
      let maxWal = 0;
      const sequences = new Set<number>();
      for (let round = 0; round < 30; round++) {
        commit(db, 100, round * 100);
        maxWal = Math.max(maxWal, walBytes(file));
        sequences.add(walSequence(file));
        // The thread's complete checkpoint lands between rounds (as between a sweep's trials);
        // the writer's next transaction then starts the WAL over from its beginning.
        while (!(await checkpointer.nextCheckpoint())) {}
      }
      const { checkpoints, error } = await checkpointer.stop();
      expect(error).toBeUndefined();
      expect(checkpoints).toBeGreaterThan(0);
      expect(runningCheckpointers()).toBe(before);
      // The writer started the WAL over after the thread's checkpoints (how often depends on
      // whether a checkpoint is running when it starts a transaction: timing, so not counted
      // beyond one), and the WAL stayed below what 3,000 commits of a 4 KB row leave without
      // checkpoints (about 37 MB; 12 MB is a third of that).
      expect(sequences.size).toBeGreaterThan(1);
      expect(maxWal).toBeLessThan(12 * 1024 * 1024);
    } finally {
      db.close();
    }
  });

  it("leaves a writer with no host checkpointer its own checkpoints, at the safety net's size", () => {
    const dir = tmp();
    const file = join(dir, "amltk.db");
    markHostCheckpointed(file);
    expect(walAutocheckpointOf(join(tmp(), "amltk.db"))).toBeUndefined();
    const db = openDb(dir);
    try {
      db.exec("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)");
      const pageSize = db.pragma("page_size", { simple: true }) as number;
      const insert = db.prepare("INSERT INTO filler (id, body) VALUES (?, ?)");
      // ~12,000 pages of WAL in 1,200 commits: past the safety net, which must checkpoint.
      let maxWal = 0;
      for (let i = 0; i < 1_200; i++) {
        insert.run(i, Buffer.alloc(10 * pageSize, i % 251));
        maxWal = Math.max(maxWal, walBytes(file));
      }
      expect(maxWal).toBeGreaterThan(5_000 * pageSize); // the raised limit, not SQLite's 1,000
      expect(maxWal).toBeLessThan((HOST_CHECKPOINTED_WAL_PAGES + 200) * pageSize);
    } finally {
      db.close();
    }
  });

  it("starts its thread from TypeScript sources through tsx, whose transform renames nothing it needs", async () => {
    // tsx's esbuild transform (keep-names) inserts helper calls into the thread function's text;
    // the thread must still run there, with no TypeScript loader of its own.
    const dir = tmp();
    const script = join(
      dirname(fileURLToPath(import.meta.url)),
      "test-fixtures",
      "checkpointer-host.ts",
    );
    const { code, out } = await runTsx(script, [dir]);
    expect(code, out).toBe(0);
    const bye = JSON.parse(out.trim().split("\n").at(-1)!) as CheckpointThreadBye;
    expect(bye.error).toBeUndefined();
    expect(bye.done).toBe(true);
    expect(bye.checkpoints).toBeGreaterThanOrEqual(1);
  });
});
