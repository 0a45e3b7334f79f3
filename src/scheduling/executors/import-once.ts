/**
 * `import()` with a per-process cache of the module promise. Node caches modules itself, but
 * under tsx each repeated `import()` of a loaded module still goes through the loader hooks
 * (~0.3 ms), which is a large share of a trivial trial's cost.
 *
 * @module
 */

const modules = new Map<string, Promise<Record<string, unknown>>>();

/**
 * The module at `url`, imported once per process; a failed import is not cached, so a later
 * call retries it.
 *
 * @example
 * ```ts
 * const mod = await importOnce(new URL("./target.js", import.meta.url).href);
 * ```
 */
export function importOnce(url: string): Promise<Record<string, unknown>> {
  let mod = modules.get(url);
  if (!mod) {
    mod = import(url) as Promise<Record<string, unknown>>;
    modules.set(url, mod);
    mod.catch(() => modules.delete(url));
  }
  return mod;
}
