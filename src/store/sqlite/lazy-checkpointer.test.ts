import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { markHostCheckpointed, runningCheckpointers } from "./checkpointer.js";
import { openDb } from "./db.js";
import { LAZY_CHECKPOINT_START_BYTES, LazyWalCheckpointer } from "./lazy-checkpointer.js";
import { tempDirs } from "./sqlite.test-helpers.js";

const tmp = tempDirs("amltk-lazy-ckpt-");

/** A host-checkpointed store (writers leave checkpoints to the host) with a filler table. */
function hostCheckpointedStore() {
  const dir = tmp();
  const file = join(dir, "amltk.db");
  markHostCheckpointed(file);
  const db = openDb(dir);
  db.exec("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)");
  const insert = db.prepare("INSERT INTO filler (id, body) VALUES (?, ?)");
  let next = 0;
  /** Commits ~4 KB rows until the WAL holds at least `bytes`. */
  const growWalTo = (bytes: number) => {
    while (!existsSync(`${file}-wal`) || statSync(`${file}-wal`).size < bytes) {
      insert.run(next++, Buffer.alloc(4000, next % 251));
    }
  };
  return { file, db, growWalTo };
}

// A watch interval no test waits for: the test looks with lookNow().
const NEVER_MS = 3_600_000;

describe("LazyWalCheckpointer", () => {
  it("starts by default at the WAL size where SQLite's own writers would checkpoint", async () => {
    const dir = tmp();
    const db = openDb(dir); // not host-checkpointed: SQLite's own autocheckpoint
    const lazy = new LazyWalCheckpointer(join(dir, "amltk.db"));
    try {
      const pages = db.pragma("wal_autocheckpoint", { simple: true }) as number;
      const pageSize = db.pragma("page_size", { simple: true }) as number;
      expect(lazy.startBytes).toBe(LAZY_CHECKPOINT_START_BYTES);
      expect(lazy.startBytes).toBe(pages * pageSize);
    } finally {
      await lazy.stop();
      db.close();
    }
  });

  it("starts no thread while the WAL is small, then one that checkpoints once it has grown", async () => {
    const { file, db, growWalTo } = hostCheckpointedStore();
    const before = runningCheckpointers();
    // The timer may look too (the thread checkpoints on the same interval); each look agrees.
    const lazy = new LazyWalCheckpointer(file, 256 * 1024, 20);
    try {
      growWalTo(64 * 1024);
      expect(lazy.lookNow()).toBe(false);
      expect(lazy.thread).toBeNull();
      expect(runningCheckpointers()).toBe(before);
      growWalTo(256 * 1024);
      expect(lazy.lookNow()).toBe(true);
      expect(runningCheckpointers()).toBe(before + 1);
      // Started once: looking again starts no second thread.
      expect(lazy.lookNow()).toBe(true);
      expect(runningCheckpointers()).toBe(before + 1);
      growWalTo(512 * 1024);
      await lazy.thread!.nextCheckpoint();
      const bye = await lazy.stop();
      expect(bye.error).toBeUndefined();
      expect(bye.checkpoints).toBeGreaterThanOrEqual(1);
      expect(runningCheckpointers()).toBe(before);
    } finally {
      await lazy.stop();
      db.close();
    }
  });

  it("starts nothing once stopped, however large the WAL grows", async () => {
    const { file, db, growWalTo } = hostCheckpointedStore();
    const before = runningCheckpointers();
    const lazy = new LazyWalCheckpointer(file, 128 * 1024, NEVER_MS);
    try {
      expect(await lazy.stop()).toEqual({ checkpoints: 0 });
      growWalTo(256 * 1024);
      expect(lazy.lookNow()).toBe(false);
      expect(runningCheckpointers()).toBe(before);
    } finally {
      db.close();
    }
  });

  it("looks at the WAL on its own timer", async () => {
    const { file, db, growWalTo } = hostCheckpointedStore();
    const lazy = new LazyWalCheckpointer(file, 128 * 1024, 10);
    try {
      growWalTo(128 * 1024);
      // Bounded wait for the timer's look, not a sleep: it must start the thread by itself.
      const deadline = Date.now() + 10_000;
      while (lazy.thread === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(lazy.thread).not.toBeNull();
    } finally {
      await lazy.stop();
      db.close();
    }
  });
});
