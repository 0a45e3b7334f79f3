/**
 * `AmltkError`: the base class of every error amltk throws on purpose. Each subclass has a stable
 * `code` (a string a program may switch on; messages may change, codes do not), and an error
 * that wraps another keeps it as the standard `cause`. Modelled on Hono's `HTTPException`.
 *
 * This file imports nothing of the project, so any room may use it.
 *
 * @module
 */

/**
 * What an {@link AmltkError} may carry besides its code and message.
 *
 * @example
 * ```ts
 * const options: AmltkErrorOptions = { cause: new Error("disk full") };
 * throw new AmltkError("write_failed", "could not write the run", options);
 * ```
 */
export interface AmltkErrorOptions {
  /** The error this one wraps (a store failure behind an API error, a fetch failure...). */
  cause?: unknown;
}

/**
 * The base class of amltk's errors: `code` says what went wrong in a stable form, `message`
 * says it for a person, `cause` (when set) is the error this one wraps.
 *
 * Codes of the subclasses (each documented on its class): `invalid`, `not_found`, `duplicate`,
 * `busy`, `closed`, `full`, `readonly` (StoreError, ApiError); `unknown_option`,
 * `invalid_option` (OptionError and the option errors); `invalid_space` (SpaceError);
 * `optimizer_exhausted`; `wall_time_exceeded`, `cpu_time_exceeded`, `memory_limit_exceeded`,
 * `unsupported_limit`; `remote_error`; `uncloneable`; `cancelled`; `call_abandoned`;
 * `worker_died`; `scheduler_not_running`; `unknown_event`; `comm_timeout`, `comm_closed`;
 * `pruned`; `spool_unreadable`; `bad_protobuf`; `bad_header`, `crc_mismatch`, `truncated`,
 * `bad_chunk`, `bad_record` (WandbLogError); `not_a_wandb_run` (WandbImportError).
 *
 * @example
 * ```ts
 * import { AmltkError } from "amltk";
 *
 * try {
 *   new TPE({ space, metrics, nStartupTrails: 5 });
 * } catch (e) {
 *   if (e instanceof AmltkError && e.code === "unknown_option") console.error(e.message);
 * }
 * ```
 */
export class AmltkError<Code extends string = string> extends Error {
  override name = "AmltkError";
  /** What went wrong, in a stable form a program may switch on. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: AmltkErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/**
 * True when `err` is an {@link AmltkError} with the given `code`: a narrowing check for code
 * that handles several kinds of error in one place.
 *
 * @example
 * ```ts
 * try {
 *   await run.finish();
 * } catch (e) {
 *   if (hasCode(e, "full")) console.error("free some disk space");
 * }
 * ```
 */
export function hasCode<C extends string>(err: unknown, code: C): err is AmltkError<C> {
  return err instanceof AmltkError && err.code === code;
}
