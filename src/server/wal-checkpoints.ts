/**
 * WAL checkpoints of a SQLite-backed server off its event loop. In WAL mode the commit that
 * pushes the WAL past `wal_autocheckpoint` pages runs the checkpoint itself (copying the frames
 * back and syncing the database file) before it returns; in a server that commit is an ingest
 * request on the event loop, so every read queued behind it waited for the disk. The server's
 * store hands checkpoints to a {@link WalCheckpointer} thread instead, as the host of a local
 * worker pool does, and keeps SQLite's own checkpoint only as a safety net at
 * {@link HOST_CHECKPOINTED_WAL_PAGES} (so the WAL stays bounded if the thread fails).
 */
import {
  HOST_CHECKPOINTED_WAL_PAGES,
  markHostCheckpointed,
  WalCheckpointer,
} from "../store/sqlite/checkpointer.js";
import { pathOf } from "../store/sqlite/db.js";
import { SqliteStore } from "../store/sqlite/index.js";
import type { Store } from "../store/types.js";

/** Starts checkpointing `store`'s WAL in a thread when it is a writable SQLite file; else undefined. */
export function checkpointInThread(store: Store): { stop(): Promise<void> } | undefined {
  if (!(store instanceof SqliteStore) || store.db.readonly || store.db.memory) return undefined;
  const file = pathOf(store.db);
  markHostCheckpointed(file);
  store.db.pragma(`wal_autocheckpoint = ${HOST_CHECKPOINTED_WAL_PAGES}`);
  const thread = new WalCheckpointer(file);
  return {
    async stop() {
      // The thread is unref'd: without a handle of our own a process whose last work is this
      // close would end before the thread's goodbye (an unsettled await).
      const keepAlive = setInterval(() => {}, 1_000);
      try {
        await thread.stop();
      } finally {
        clearInterval(keepAlive);
      }
    },
  };
}
