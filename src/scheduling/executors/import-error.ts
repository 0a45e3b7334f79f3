/**
 * Why a worker could not get the function a call names: the module was not found, an
 * `amltk worker` refused it (outside its `--allow` roots), the module threw while loading, or
 * it has no such export. `Trial.Task` turns this into a `fail` report (the trial was never
 * run, nothing crashed), where an error escaping the function itself is a crash.
 *
 * @module
 */
import { AmltkError } from "../../shared/errors.js";

/** The reasons a {@link FunctionImportError} gives, in its message and as `reason`. */
export type ImportFailure = "not_found" | "not_allowed" | "threw" | "no_export";

const WHY: Record<ImportFailure, string> = {
  not_found: "the module was not found on the worker",
  not_allowed: "the worker is not allowed to import it (start `amltk worker` with --allow DIR)",
  threw: "the module threw while it was imported",
  no_export: "the module has no exported function of that name",
};

/**
 * A worker could not import `exportName` from `moduleUrl`; `reason` says why and `cause`
 * holds the underlying error. Code `function_import_failed`.
 *
 * @example
 * ```ts
 * throw new FunctionImportError("file:///app/eval.mjs", "evaluate", "no_export");
 * ```
 */
export class FunctionImportError extends AmltkError<"function_import_failed"> {
  constructor(
    readonly moduleUrl: string,
    readonly exportName: string,
    readonly reason: ImportFailure,
    options?: { cause?: unknown },
  ) {
    const detail = options?.cause instanceof Error ? `: ${options.cause.message}` : "";
    super(
      "function_import_failed",
      `Cannot import "${exportName}" from ${moduleUrl}: ${WHY[reason]}${detail}`,
      options,
    );
    this.name = "FunctionImportError";
  }
}

/** The {@link ImportFailure} an `import()` rejection means. */
export function importFailureOf(error: unknown): ImportFailure {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "ERR_UNSUPPORTED_DIR_IMPORT"
    ? "not_found"
    : "threw";
}

/**
 * Imports `exportName` of `moduleUrl` with `load` (an `import()` that may cache), throwing a
 * {@link FunctionImportError} that says why when it cannot.
 *
 * @example
 * ```ts
 * const fn = await importFunction(importOnce, "file:///app/eval.mjs", "evaluate");
 * ```
 */
export async function importFunction(
  load: (url: string) => Promise<Record<string, unknown>>,
  moduleUrl: string,
  exportName: string,
): Promise<(...args: never[]) => unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = await load(moduleUrl);
  } catch (e) {
    throw new FunctionImportError(moduleUrl, exportName, importFailureOf(e), { cause: e });
  }
  const fn = mod[exportName];
  if (typeof fn !== "function") throw new FunctionImportError(moduleUrl, exportName, "no_export");
  return fn as (...args: never[]) => unknown;
}
