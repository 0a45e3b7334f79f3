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

/**
 * Thrown when a part of a resumed W&B run is imported after a later part of the same run: its
 * rows would have to go before rows already stored. Code `part_out_of_order`; the message names
 * the folder refused and when the stored part started. Import all the run's folders in one
 * command with `--force` (which replaces the stored run and merges the parts in start order).
 *
 * @example
 * ```ts
 * try {
 *   await importWandbRun("wandb/offline-run-20240101_000000-abc/run-abc.wandb", store);
 * } catch (e) {
 *   if (e instanceof WandbPartOrderError) console.error(e.message);
 * }
 * ```
 */
export class WandbPartOrderError extends AmltkError<"part_out_of_order"> {
  override name = "WandbPartOrderError";
  constructor(message: string, options?: AmltkErrorOptions) {
    super("part_out_of_order", message, options);
  }
}
