/**
 * Which modules a queue job may name: a queue is not a way to run arbitrary code, so an
 * `amltk worker` imports only modules under the roots it was given (`--allow`, default its
 * working directory) and amltk's own (the trampolines `Trial.Task` and the W&B plugin call).
 *
 * Every module a job names is checked before anything is imported: the job's own module and
 * every module reference (`{ moduleUrl, exportName }`) in its arguments, which is how amltk's
 * trampolines name the user's function and wrappers. Paths are compared after `realpath`, so
 * a symlink or `..` cannot leave a root. What the allowed code itself imports is its own
 * business (its dependencies live outside the roots, in `node_modules`).
 */
import { realpathSync } from "node:fs";
import { isAbsolute, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { AmltkError } from "../../../shared/errors.js";
import { OptionError } from "../../../shared/options.js";

/**
 * A queue job named a module outside the worker's allowed roots (or one that is not a file):
 * it was not imported. Code `module_not_allowed`.
 *
 * @example
 * ```ts
 * task.on("onException", (_f, e) => {
 *   if (e instanceof RemoteError && e.remoteCode === "module_not_allowed") console.error(e.message);
 * });
 * ```
 */
export class ModuleNotAllowedError extends AmltkError<"module_not_allowed"> {
  constructor(url: string, why: string, options?: { cause?: unknown }) {
    super("module_not_allowed", `amltk worker refused to import ${url}: ${why}`, options);
    this.name = "ModuleNotAllowedError";
  }
}

/** amltk's own package folder (the trampolines' modules live there). */
const AMLTK_ROOT = realpathSync(fileURLToPath(new URL("../../../../", import.meta.url)));

/** The roots, resolved against `cwd` and realpath'd; a root that does not exist is an error. */
export function resolveRoots(roots: readonly string[], cwd = process.cwd()): string[] {
  return roots.map((r) => {
    try {
      return realpathSync(isAbsolute(r) ? r : resolve(cwd, r));
    } catch (e) {
      throw new OptionError("invalid_option", `--allow ${r}: no such folder`, "allow", {
        cause: e,
      });
    }
  });
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Throws {@link ModuleNotAllowedError} unless `url` is a file under one of `roots` or amltk's. */
export function assertModuleAllowed(url: string, roots: readonly string[]): void {
  if (url === "local:") return; // an in-process registration: it fails by itself on a worker
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch {
    throw new ModuleNotAllowedError(url, "only file: modules can be run from a queue");
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch (e) {
    throw new ModuleNotAllowedError(
      url,
      `it does not exist on this worker (${(e as Error).message})`,
      { cause: e }, // its ENOENT code crosses to the driver: "not found", not "not allowed"
    );
  }
  if (inside(real, AMLTK_ROOT)) return; // amltk's own modules (trampolines, wrappers)
  if (roots.some((root) => inside(real, root))) return;
  throw new ModuleNotAllowedError(
    url,
    `${real} is outside the allowed roots (${roots.join(", ") || "none"}); start the worker with --allow DIR`,
  );
}

/** The `moduleUrl`s of module references anywhere in `value` (a few levels deep). */
export function moduleRefsIn(value: unknown, depth = 0, out: string[] = []): string[] {
  if (depth > 6 || value === null || typeof value !== "object") return out;
  const ref = value as { moduleUrl?: unknown; exportName?: unknown };
  if (typeof ref.moduleUrl === "string" && typeof ref.exportName === "string")
    out.push(ref.moduleUrl);
  const items = Array.isArray(value) ? value : Object.values(value);
  for (const item of items) moduleRefsIn(item, depth + 1, out);
  return out;
}

/** Checks the job's module and every module its arguments name (amltk's own are allowed). */
export function assertJobAllowed(
  moduleUrl: string,
  args: unknown[],
  roots: readonly string[],
): void {
  assertModuleAllowed(moduleUrl, roots);
  for (const url of moduleRefsIn(args)) assertModuleAllowed(url, roots);
}
