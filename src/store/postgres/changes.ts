/**
 * `Store.changeVersion` for PostgreSQL: every write transaction sends `NOTIFY amltk_changes`
 * (delivered at its commit, to every listening connection of every process), and one dedicated
 * connection per store LISTENs and counts them. Its own commits count at once, without waiting
 * for the round trip. A lost listening connection (the database restarted) counts as a change
 * (notifications may have been missed) and is opened again on the next call.
 */
import pg from "pg";

/** The channel every write transaction notifies. */
export const CHANGES_CHANNEL = "amltk_changes";

export class ChangeCounter {
  #version = 0;
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #closed = false;

  constructor(private readonly url: string) {}

  /** This process committed a write. */
  bump(): void {
    this.#version++;
  }

  /** The counter, listening from the first call on. */
  async version(): Promise<number> {
    if (!this.#client && !this.#closed) {
      this.#connecting ??= this.#listen().finally(() => {
        this.#connecting = undefined;
      });
      // A database that cannot be reached now: the caller still gets a number, one that changes.
      await this.#connecting.catch(() => this.bump());
    }
    return this.#version;
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: "amltk-listen" });
    const lost = () => {
      if (this.#client === client) this.#client = undefined;
      this.bump();
      client.end().catch(() => {});
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", () => this.bump());
    await client.connect();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    if (this.#closed) {
      await client.end();
      return;
    }
    this.#client = client;
    // Writes made before LISTEN took effect were not notified to us.
    this.bump();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => {});
    const c = this.#client;
    this.#client = undefined;
    await c?.end().catch(() => {});
  }
}
