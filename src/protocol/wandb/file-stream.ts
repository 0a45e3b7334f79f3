/**
 * `POST /files/{entity}/{project}/{run}/file_stream`: the W&B client streams its run files as
 * lines. Each file carries the offset (in lines) of its first line; a retry resends the same
 * offset, so a server applies each line once by its index. The last request adds
 * `complete: true` and the process's `exitcode`.
 */
import * as v from "valibot";

/** The most lines one file of one request may carry (the W&B client sends far fewer). */
export const FILE_STREAM_MAX_LINES = 100_000;

const fileChunkSchema = v.object({
  offset: v.pipe(
    v.number(),
    v.integer("must be an integer"),
    v.minValue(0, "must not be negative"),
  ),
  content: v.pipe(
    v.array(v.string("each line must be a string")),
    v.maxLength(FILE_STREAM_MAX_LINES, `at most ${FILE_STREAM_MAX_LINES} lines per file`),
  ),
});

/**
 * A file_stream request body. Unknown keys (`uploaded`, `preempting`, `dropped`) are allowed
 * and ignored, as W&B's server does.
 */
export const fileStreamRequestSchema = v.looseObject({
  files: v.optional(v.record(v.string(), fileChunkSchema)),
  complete: v.optional(v.boolean()),
  exitcode: v.optional(v.nullable(v.pipe(v.number(), v.integer("must be an integer")))),
  uploaded: v.optional(v.array(v.string())),
});

/**
 * One file's lines in a file_stream request.
 *
 * @example
 * ```ts
 * const chunk: FileStreamChunk = { offset: 0, content: ['{"_step":0,"loss":1}'] };
 * ```
 */
export type FileStreamChunk = v.InferOutput<typeof fileChunkSchema>;

/**
 * A file_stream request body.
 *
 * @example
 * ```ts
 * const last: FileStreamRequest = { files: {}, complete: true, exitcode: 0 };
 * ```
 */
export type FileStreamRequest = v.InferOutput<typeof fileStreamRequestSchema>;

/**
 * The answer to a file_stream request, as W&B's server gives it.
 *
 * @example
 * ```ts
 * const answer: FileStreamAnswer = fileStreamAnswer();
 * ```
 */
export interface FileStreamAnswer {
  exitcode: null;
  limits: Record<string, never>;
}

/** The one answer a server gives to an accepted file_stream request. */
export function fileStreamAnswer(): FileStreamAnswer {
  return { exitcode: null, limits: {} };
}

/** The path of a run's file_stream, for a client. */
export function fileStreamPath(entity: string, project: string, run: string): string {
  const e = encodeURIComponent;
  return `/files/${e(entity)}/${e(project)}/${e(run)}/file_stream`;
}
