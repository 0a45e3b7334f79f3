/**
 * Thrown when a `.wandb` file is not a readable W&B transaction log: bad header, a chunk whose
 * CRC does not match, a record cut off by the end of the file, or bytes that are not a record.
 * Records before `offset` were read fine (an import keeps them).
 *
 * @example
 * ```ts
 * try {
 *   for await (const rec of readWandbLog("run-abc.wandb")) console.log(rec.kind);
 * } catch (e) {
 *   if (e instanceof WandbLogError) console.error(e.code, e.file, e.offset);
 * }
 * ```
 */
export class WandbLogError extends Error {
  override name = "WandbLogError";
  constructor(
    message: string,
    readonly code: "bad_header" | "crc_mismatch" | "truncated" | "bad_chunk" | "bad_record",
    readonly file: string,
    /** Byte offset in the file where the damage starts. */
    readonly offset: number,
  ) {
    super(`${file}: ${message} at byte ${offset}`);
  }
}

/**
 * Thrown for import input that is not a W&B run (a path with no `.wandb` file, a run without id).
 *
 * @example
 * ```ts
 * try {
 *   await findWandbRunFiles(["notes.txt"]); // not a .wandb file
 * } catch (e) {
 *   if (e instanceof WandbImportError) console.error(e.message);
 * }
 * ```
 */
export class WandbImportError extends Error {
  override name = "WandbImportError";
}
