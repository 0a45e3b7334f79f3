/**
 * Sends a spool to its W&B-protocol server: UpsertBucket when the run's variables changed, then
 * each stream file's unacknowledged lines by file_stream (at their line offsets) with the
 * summary when it changed, and last the close (`complete`, `exitcode`). Each answer is recorded
 * in `acked.json`; a failed request is retried with backoff. It reads the spool's files, so
 * memory stays bounded however far behind the server is, and a process that never wrote the
 * spool (`amltk sync`) sends it the same way.
 */
import {
  FILE_STREAM_FILES,
  type FileStreamRequest,
  fileStreamPath,
} from "../../protocol/wandb/index.js";
import { AmltkError, type AmltkErrorOptions } from "../../shared/errors.js";
import { STREAM_FILES, type WandbSpool } from "./spool.js";

/** The most bytes of one stream file in one request. */
const CHUNK_BYTES = 4 * 1024 * 1024;
const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** The GraphQL text of UpsertBucket, as the W&B client sends it (servers dispatch by name). */
const UPSERT_BUCKET = `mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String, $groupName: String, $description: String, $displayName: String, $notes: String, $config: JSONString, $host: String, $jobType: String, $tags: [String!]) {
  upsertBucket(input: {id: $id, name: $name, groupName: $groupName, modelName: $project, entityName: $entity, description: $description, displayName: $displayName, notes: $notes, config: $config, host: $host, jobType: $jobType, tags: $tags}) {
    bucket { id name displayName project { id name entity { id name } } }
    inserted
  }
}`;

/** The Authorization header the W&B client sends: Basic `api:<key>`. */
export function wandbAuth(apiKey: string | undefined): Record<string, string> {
  return apiKey
    ? { authorization: `Basic ${Buffer.from(`api:${apiKey}`).toString("base64")}` }
    : {};
}

/**
 * A request to the W&B-protocol server failed (unreachable, refused); the sender retries it.
 * Code `send_failed`.
 *
 * @example
 * ```ts
 * new WandbSendError("W&B server answered 503 to /graphql"); // shown once per kind, then retried
 * ```
 */
export class WandbSendError extends AmltkError<"send_failed"> {
  override name = "WandbSendError";
  constructor(message: string, options?: AmltkErrorOptions) {
    super("send_failed", message, options);
  }
}

/** Sends one spool; `kick` after each write, `drain` to wait for delivery. */
export class WandbSender {
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  #backoff = MIN_BACKOFF_MS;
  #warned = new Set<string>();
  #lastSent = Date.now();

  constructor(
    readonly spool: WandbSpool,
    private readonly apiKey: string | undefined,
  ) {}

  /** Something was spooled: send it (one pump at a time). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#pump().finally(() => {
      this.#running = null;
      if (this.#again && !this.#stopped) this.kick();
    });
  }

  /**
   * Waits until everything spooled so far is acknowledged, or `timeoutMs` passed; true when
   * it all was. What is not stays spooled for `amltk sync`.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.kick();
      const pump = this.#running;
      if (pump) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          pump,
          new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now())))),
        ]);
        clearTimeout(timer);
      }
      if (this.idle) return true;
      if (!this.#running)
        await new Promise((r) =>
          setTimeout(r, Math.min(this.#backoff, Math.max(0, deadline - Date.now()))),
        );
    }
    return this.idle;
  }

  /** Nothing is left to send (the close too, once the run set its exit code). */
  get idle(): boolean {
    const s = this.spool;
    const closedOrOpen = s.run.exitcode === null || s.acked.closed;
    return (
      closedOrOpen &&
      s.acked.vars >= s.run.vars.version &&
      s.acked.summary >= s.run.summary.version &&
      !this.#unread()
    );
  }

  #unread(): boolean {
    return STREAM_FILES.some((f) => this.spool.unreadBytes(f) > 0);
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Sends a heartbeat (an empty file_stream) when nothing was sent for `idleMs`. */
  heartbeat(idleMs: number): void {
    if (this.#running || this.spool.acked.closed || Date.now() - this.#lastSent < idleMs) return;
    if (this.spool.acked.vars === 0) return; // the run is not on the server yet
    void this.#post(fileStreamPath(this.#entity(), this.spool.run.project, this.spool.run.runId), {
      files: {},
    }).catch(() => {});
  }

  async #pump(): Promise<void> {
    while (!this.#stopped) {
      this.#again = false;
      let progressed: boolean;
      try {
        progressed = await this.#sendOnce();
        this.#backoff = MIN_BACKOFF_MS;
      } catch (e) {
        this.#warn(e as Error);
        await new Promise((r) => setTimeout(r, this.#backoff));
        this.#backoff = Math.min(MAX_BACKOFF_MS, this.#backoff * 2);
        continue;
      }
      if (!progressed && !this.#again) return;
    }
  }

  /** One step of delivery; false when there was nothing to send. */
  async #sendOnce(): Promise<boolean> {
    const { run, acked } = this.spool;
    if (acked.vars < run.vars.version) {
      const version = run.vars.version;
      await this.#post("/graphql", {
        query: UPSERT_BUCKET,
        operationName: "UpsertBucket",
        variables: run.vars.value,
      });
      acked.vars = version;
      this.spool.saveAcked();
      return true;
    }
    const body: FileStreamRequest = { files: {} };
    const reached: [(typeof STREAM_FILES)[number], number, number][] = [];
    for (const file of STREAM_FILES) {
      const { lines, bytes } = this.spool.readFrom(file, CHUNK_BYTES);
      if (lines.length === 0) continue;
      const content =
        file === FILE_STREAM_FILES.output ? lines.map((l) => JSON.parse(l) as string) : lines;
      body.files![file] = { offset: run.base[file] + acked.files[file].line, content };
      reached.push([file, lines.length, bytes]);
    }
    const summaryVersion = run.summary.version;
    const sendSummary = acked.summary < summaryVersion && run.summary.line !== null;
    if (sendSummary)
      body.files![FILE_STREAM_FILES.summary] = { offset: 0, content: [run.summary.line!] };
    const close = reached.length === 0 && run.exitcode !== null && !acked.closed;
    if (close) {
      body.complete = true;
      body.exitcode = run.exitcode;
    }
    if (reached.length === 0 && !sendSummary && !close) {
      if (acked.summary < summaryVersion) acked.summary = summaryVersion; // no summary line yet
      return false;
    }
    await this.#post(fileStreamPath(this.#entity(), run.project, run.runId), body);
    for (const [file, lines, bytes] of reached) {
      acked.files[file].line += lines;
      acked.files[file].byte += bytes;
    }
    if (sendSummary) acked.summary = summaryVersion;
    if (close) acked.closed = true;
    this.spool.saveAcked();
    return true;
  }

  #entity(): string {
    return this.spool.run.entity ?? "amltk";
  }

  async #post(path: string, body: unknown): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.spool.run.baseUrl + path, {
        method: "POST",
        headers: { "content-type": "application/json", ...wandbAuth(this.apiKey) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (e) {
      throw new WandbSendError(
        `W&B server ${this.spool.run.baseUrl} unreachable: ${(e as Error).message}`,
        { cause: e },
      );
    }
    const text = await res.text();
    if (!res.ok)
      throw new WandbSendError(
        `W&B server answered ${res.status} to ${path}: ${text.slice(0, 300)}`,
      );
    if (path === "/graphql" && text.includes('"errors"')) {
      const errors = (JSON.parse(text) as { errors?: { message: string }[] }).errors;
      if (errors?.length)
        throw new WandbSendError(`W&B server refused ${path}: ${errors[0]!.message}`);
    }
    this.#lastSent = Date.now();
  }

  #warn(e: Error): void {
    const kind = e.message.slice(0, 60);
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    console.warn(
      `amltk: run ${this.spool.run.runId}: ${e.message}; retrying (the run is spooled in ${this.spool.dir})`,
    );
  }
}
