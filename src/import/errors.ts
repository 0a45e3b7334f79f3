import { AmltkError, type AmltkErrorOptions } from "../shared/errors.js";

/**
 * Thrown when a `.wandb` file is not a readable W&B transaction log: bad header, a chunk whose
 * CRC does not match, a record cut off by the end of the file, or bytes that are not a record.
 * Records before `offset` were read fine (an import keeps them). `code` says which damage:
 * `bad_header`, `crc_mismatch`, `truncated`, `bad_chunk` or `bad_record`.
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
export class WandbLogError extends AmltkError<WandbLogErrorCode> {
  override name = "WandbLogError";
  constructor(
    message: string,
    code: WandbLogErrorCode,
    readonly file: string,
    /** Byte offset in the file where the damage starts. */
    readonly offset: number,
    options?: AmltkErrorOptions,
  ) {
    super(code, `${file}: ${message} at byte ${offset}`, options);
  }
}

/** What damage a {@link WandbLogError} found. */
export type WandbLogErrorCode =
  | "bad_header"
  | "crc_mismatch"
  | "truncated"
  | "bad_chunk"
  | "bad_record";

/**
 * Thrown for import input that is not a W&B run (a path with no `.wandb` file, a run without
 * id). Code `not_a_wandb_run`.
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
export class WandbImportError extends AmltkError<"not_a_wandb_run"> {
  override name = "WandbImportError";
  constructor(message: string, options?: AmltkErrorOptions) {
    super("not_a_wandb_run", message, options);
  }
}
