/** The one error shape of the HTTP API: `{ error: { code, message, field? } }` with a status. */
import { AmltkError, type AmltkErrorOptions } from "../shared/errors.js";
import { StoreError } from "../store/types.js";

export type ApiErrorCode =
  | "invalid"
  | "bad_json"
  | "too_large"
  | "unauthorized"
  | "forbidden"
  | "unsupported_media_type"
  | "finished"
  | "not_found"
  | "duplicate"
  | "busy"
  | "internal";

/**
 * An HTTP API error: its status, a stable `code`, a message and, for bad input, the field
 * at fault; `cause` is the error it was made from (a store refusal), which is never sent.
 * Serialized as `{ error: { code, message, field? } }`.
 * Its `code` is the `ApiErrorCode` of the answer.
 *
 * @example
 * ```ts
 * const err = new ApiError(404, "not_found", "no run abc123");
 * JSON.stringify(err); // {"error":{"code":"not_found","message":"no run abc123"}}
 * ```
 */
export class ApiError extends AmltkError<ApiErrorCode> {
  override name = "ApiError";
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500 | 503,
    code: ApiErrorCode,
    message: string,
    readonly field?: string,
    options?: AmltkErrorOptions,
  ) {
    super(code, message, options);
  }

  toJSON(): { error: { code: ApiErrorCode; message: string; field?: string } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field !== undefined ? { field: this.field } : {}),
      },
    };
  }
}

/** A 400 naming the bad field. */
export function invalid(field: string, message: string): ApiError {
  return new ApiError(400, "invalid", `${field}: ${message}`, field);
}

/** Maps anything thrown while handling a request to an ApiError (store errors keep their meaning). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreError) {
    switch (err.code) {
      case "invalid":
        return new ApiError(400, "invalid", err.message, undefined, { cause: err });
      case "not_found":
        return new ApiError(404, "not_found", err.message, undefined, { cause: err });
      case "duplicate":
        return new ApiError(409, "duplicate", err.message, undefined, { cause: err });
      case "busy":
      case "closed":
      case "full": // no space, or a read-only store: the client keeps the data and retries
      case "readonly":
        return new ApiError(503, "busy", err.message, undefined, { cause: err });
    }
  }
  return new ApiError(
    500,
    "internal",
    `internal error: ${(err as Error)?.message ?? String(err)}`,
    undefined,
    { cause: err },
  );
}
