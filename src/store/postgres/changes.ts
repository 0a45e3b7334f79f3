/**
 * `Store.changeVersion` for PostgreSQL: after a write transaction commits, the store sends
 * `NOTIFY amltk_changes` (to every listening connection of every process), at most once per
 * {@link NOTIFY_EVERY_MS} per store and always once after the last write (a NOTIFY inside each
 * transaction would take PostgreSQL's global notify lock at every commit: the commits of all
 * connections would queue on it). One dedicated connection per store LISTENs and counts the
 * notices; its own commits count at once. A lost listening connection (the database restarted)
 * counts as a change (notices may have been missed) and is opened again on the next call. Each
 * store's NOTIFY carries a token of its own, so a store tells its own notices from other
 * processes' (`foreign`).
 */
import pg from "pg";

/** The channel every write transaction notifies. */
export const CHANGES_CHANNEL = "amltk_changes";

/** The most often one store notifies (a live view refreshes at most this often anyway). */
export const NOTIFY_EVERY_MS = 50;

/** Sends `NOTIFY` after commits: the first at once, then at most one per window, the last always. */
export class ChangeNotifier {
  #last = 0;
  #pending: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(private readonly send: () => Promise<unknown>) {}

  /** A write committed. */
  committed(): void {
    if (this.#closed || this.#pending) return;
    const wait = this.#last + NOTIFY_EVERY_MS - Date.now();
    if (wait <= 0) {
      this.#fire();
      return;
    }
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      this.#fire();
    }, wait);
    this.#pending.unref();
  }

  #fire(): void {
    this.#last = Date.now();
    // Best effort: a lost notice only delays a live view until its next poll or notice.
    this.send().catch(() => {});
  }

  /** Sends what is still pending, then stops. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#pending) {
      clearTimeout(this.#pending);
      this.#pending = undefined;
      await this.send().catch(() => {});
    }
  }
}

export class ChangeCounter {
  #version = 0;
  /** Changes this process did not make (or may have missed): see {@link ChangeCounter.foreign}. */
  #foreign = 0;
  #epoch = 0;
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #closed = false;

  /**
   * `token`: the payload this store's own NOTIFYs carry, so that they are told apart from other
   * processes' (which count in {@link ChangeCounter.foreign}).
   */
  constructor(
    private readonly url: string,
    private readonly token?: string,
  ) {}

  /**
   * Changes made by other processes (a NOTIFY without this store's token), or possibly missed
   * (a lost or new listening connection); read after {@link ChangeCounter.version}. What this
   * process writes it knows itself, run by run (the series cache keeps other runs' series).
   */
  get foreign(): number {
    return this.#foreign;
  }

  /** How many times a listening connection was opened: a new one may see another database. */
  get epoch(): number {
    return this.#epoch;
  }

  /** This process committed a write. */
  bump(): void {
    this.#version++;
  }

  /** A change this process did not make, or may not know of. */
  #bumpForeign(): void {
    this.#foreign++;
    this.#version++;
  }

  /** The counter, listening from the first call on. */
  async version(): Promise<number> {
    if (!this.#client && !this.#closed) {
      this.#connecting ??= this.#listen().finally(() => {
        this.#connecting = undefined;
      });
      // A database that cannot be reached now: the caller still gets a number, one that changes.
      await this.#connecting.catch(() => this.#bumpForeign());
    }
    return this.#version;
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: "amltk-listen" });
    const lost = () => {
      if (this.#client === client) this.#client = undefined;
      this.#bumpForeign();
      client.end().catch(() => {});
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (n) => {
      if (this.token !== undefined && n.payload === this.token) this.bump();
      else this.#bumpForeign();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    if (this.#closed) {
      await client.end();
      return;
    }
    this.#client = client;
    this.#epoch++;
    // Writes made before LISTEN took effect were not notified to us.
    this.#bumpForeign();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => {});
    const c = this.#client;
    this.#client = undefined;
    await c?.end().catch(() => {});
  }
}
