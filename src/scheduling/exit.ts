/** Exit states and exception-handling modes of `Scheduler.run`. */

export type ExitCode = "STOPPED" | "TIMEOUT" | "EXHAUSTED" | "CANCELLED" | "UNKNOWN" | "EXCEPTION";

export interface ExitState {
  code: ExitCode;
  exception?: unknown;
  message?: string;
  drainErrors?: unknown[];
}

export type ExceptionMode = "raise" | "end" | "continue";
// biome-ignore lint/suspicious/noExplicitAny: any error class
export type ErrorClass = abstract new (...args: any[]) => unknown;
export type OnException = ExceptionMode | readonly (readonly [ErrorClass, ExceptionMode])[];

export interface RunOptions {
  /** Seconds before the run ends with TIMEOUT. */
  timeout?: number;
  endOnEmpty?: boolean;
  /** false: cancel pending work at the end instead of waiting for it. */
  wait?: boolean;
  onException?: OnException;
  onCancelled?: ExceptionMode;
}

export function resolveMode(spec: OnException, err: unknown): ExceptionMode {
  if (typeof spec === "string") return spec;
  for (const [cls, mode] of spec) if (err instanceof cls) return mode;
  return "raise";
}
