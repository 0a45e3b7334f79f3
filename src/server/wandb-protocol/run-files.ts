/**
 * Files the W&B client uploads with a run (media: images, tables; `config.yaml`,
 * `wandb-metadata.json`, `requirements.txt`, `output.log`): kept under
 * `<files dir>/<run id>/<name>`, by default `files/` beside the SQLite database.
 *
 * CreateRunFiles answers one upload URL per file on this server; the URL carries a one-time
 * token (the client sends no key with an upload, as with W&B's signed URLs), valid for an hour.
 * An upload is written to a temporary file and renamed into place, so a reader never sees half
 * a file.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ApiError } from "../errors.js";

/** How long an upload URL from CreateRunFiles stays valid. */
export const UPLOAD_TTL_MS = 60 * 60 * 1000;
/** The largest file one upload may carry. */
export const UPLOAD_MAX_BYTES = 1024 * 1024 * 1024;
const MAX_PENDING_UPLOADS = 100_000;

interface PendingUpload {
  runId: string;
  name: string;
  expiresAt: number;
}

/**
 * A file name as the client gives it (`media/images/x_1_abc.png`), checked to stay inside the
 * run's folder: `/`-separated segments, none empty, `.` or `..`, no backslash or NUL.
 */
export function checkFileName(name: string): string {
  const bad =
    name.length === 0 ||
    name.length > 1024 ||
    /[\\\0]/.test(name) ||
    name.split("/").some((s) => s === "" || s === "." || s === "..");
  if (bad) {
    throw new ApiError(400, "invalid", `bad file name ${JSON.stringify(name)}`, "files");
  }
  return name;
}

/** The files area of a server, and the upload tokens it handed out. */
export class RunFiles {
  readonly #pending = new Map<string, PendingUpload>();

  /** `dir` undefined: no files area (a store with no folder), so uploads are refused. */
  constructor(readonly dir: string | undefined) {}

  #root(): string {
    if (this.dir === undefined) {
      throw new ApiError(
        503,
        "internal",
        "this server keeps no run files: its store has no folder (run files live beside a SQLite store)",
      );
    }
    return this.dir;
  }

  /** Where `name` of `runId` lives. */
  pathOf(runId: string, name: string): string {
    return join(this.#root(), runId, ...checkFileName(name).split("/"));
  }

  /** A one-time upload token for `name` of `runId`. */
  issue(runId: string, name: string): string {
    this.#root();
    checkFileName(name);
    this.#dropExpired();
    const token = randomBytes(24).toString("base64url");
    this.#pending.set(token, { runId, name, expiresAt: Date.now() + UPLOAD_TTL_MS });
    return token;
  }

  #dropExpired(): void {
    const now = Date.now();
    for (const [t, p] of this.#pending) if (p.expiresAt < now) this.#pending.delete(t);
    if (this.#pending.size >= MAX_PENDING_UPLOADS) {
      throw new ApiError(503, "busy", `over ${MAX_PENDING_UPLOADS} uploads pending; retry later`);
    }
  }

  /** Takes the token of an upload of `name` for `runId`; 403 when it is not one we issued. */
  redeem(token: string, runId: string, name: string): void {
    const p = this.#pending.get(token);
    if (!p || p.expiresAt < Date.now() || p.runId !== runId || p.name !== name) {
      throw new ApiError(
        403,
        "forbidden",
        `upload URL for ${JSON.stringify(name)} is not valid (expired or not issued)`,
      );
    }
    this.#pending.delete(token);
  }

  /** Writes an upload's body into place (temporary file, then rename). */
  async save(
    runId: string,
    name: string,
    body: ReadableStream<Uint8Array> | null,
  ): Promise<number> {
    const target = this.pathOf(runId, name);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString("hex")}.part`;
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > UPLOAD_MAX_BYTES) {
          done(
            new ApiError(
              413,
              "too_large",
              `upload of ${JSON.stringify(name)} over ${UPLOAD_MAX_BYTES} bytes`,
            ),
          );
        } else done(null, chunk);
      },
    });
    const source = body
      ? Readable.fromWeb(body as import("node:stream/web").ReadableStream)
      : Readable.from([]);
    try {
      await pipeline(source, count, createWriteStream(temp));
      await rename(temp, target);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
    return bytes;
  }

  /** The run's files: names (with `/`) and sizes. */
  async list(runId: string): Promise<{ name: string; size: number }[]> {
    if (this.dir === undefined) return [];
    const root = join(this.dir, runId);
    let entries: string[];
    try {
      entries = (await readdir(root, { recursive: true })) as string[];
    } catch {
      return [];
    }
    const out: { name: string; size: number }[] = [];
    for (const e of entries.sort()) {
      if (e.endsWith(".part")) continue;
      const s = await stat(join(root, e));
      if (s.isFile())
        out.push({ name: relative(root, join(root, e)).split(sep).join("/"), size: s.size });
    }
    return out;
  }

  /** A file's bytes; 404 when absent. */
  async read(runId: string, name: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(runId, name));
    } catch {
      throw new ApiError(
        404,
        "not_found",
        `run ${runId} has no file ${JSON.stringify(name)}`,
        "name",
      );
    }
  }
}
