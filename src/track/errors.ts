import { AmltkError, type AmltkErrorOptions } from "../shared/errors.js";

/**
 * Thrown for bad input to the tracker (bad key/value, config change, bad id, unsupported mode).
 * The run keeps working after it. Code `invalid`.
 *
 * @example
 * ```ts
 * try {
 *   run.log({ model: new Map() });
 * } catch (e) {
 *   if (e instanceof TrackError) console.warn(e.message); // names the key "model"
 * }
 * ```
 */
export class TrackError extends AmltkError<"invalid"> {
  override name = "TrackError";
  constructor(message: string, options?: AmltkErrorOptions) {
    super("invalid", message, options);
  }
}
