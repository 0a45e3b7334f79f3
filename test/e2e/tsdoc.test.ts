/**
 * Every export of every package entry point carries TSDoc with an `@example`.
 *
 * The exports are resolved by the TypeScript compiler itself (the v7 sync API), so barrels,
 * named and renamed re-exports all land on the declaration a reader's editor would show; a
 * hand-rolled regex over `export { ... }` lists silently missed those.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { API, SymbolFlags } from "typescript/unstable/sync";
import { afterAll, describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  exports: Record<string, unknown>;
};
/** Entry files named by package.json, e.g. `amltk/track` → src/public/track.ts. */
const entries = Object.keys(pkg.exports)
  .filter((k) => k !== "./package.json")
  .map((k) => ({
    specifier: k === "." ? "amltk" : `amltk/${k.slice(2)}`,
    file: join(root, "src/public", `${k === "." ? "index" : k.slice(2)}.ts`),
  }));

interface ExportDoc {
  name: string;
  /** Where the resolved declaration lives, relative to the repo root. */
  where: string;
  hasDoc: boolean;
  hasExample: boolean;
}

// The checker runs in a child process (tsgo); build the program once for all entry points.
const api = new API({ cwd: root });
afterAll(() => api.close());
const project = api
  .updateSnapshot({ openProjects: [join(root, "tsconfig.build.json")] })
  .getProjects()[0]!;
const { checker } = project;

function exportsOf(file: string): ExportDoc[] {
  const source = project.program.getSourceFile(file);
  if (!source) throw new Error(`${file} is not part of tsconfig.build.json`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${file} has no module symbol`);
  return checker.getExportsOfModule(moduleSymbol).map((symbol) => {
    // Follow re-export chains to the declaration that carries (or should carry) the comment.
    const target = symbol.flags & SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const tags = checker.getJsDocTagsOfSymbol(target);
    return {
      name: symbol.name,
      where: (target.declarations[0]?.path ?? "?").replace(`${root}/`, ""),
      hasDoc: checker.getDocumentationCommentOfSymbol(target).trim() !== "",
      hasExample: tags.some((t) => t.name === "example" && (t.text ?? "").trim() !== ""),
    };
  });
}

const docs = new Map(entries.map((e) => [e.specifier, exportsOf(e.file)]));

describe("public API TSDoc", () => {
  it("resolves re-exports to their declarations", () => {
    const names = (s: string) => (docs.get(s) ?? []).map((d) => d.name);
    // Named re-exports from feature barrels (src/trial, src/optim) and from single files.
    expect(names("amltk")).toEqual(expect.arrayContaining(["Trial", "History", "Scheduler"]));
    expect(names("amltk/track")).toEqual(expect.arrayContaining(["init", "Run", "StoreError"]));
    expect(names("amltk/wandb")).toEqual(expect.arrayContaining(["WandbPlugin", "WandbParams"]));
    expect(names("amltk/server")).toEqual(expect.arrayContaining(["createServer", "SqliteStore"]));
    const scheduler = docs.get("amltk")?.find((d) => d.name === "Scheduler");
    expect(scheduler?.where).toBe("src/scheduling/scheduler.ts");
  });

  it.each(entries.map((e) => e.specifier))("every export of %s has TSDoc", (specifier) => {
    const undocumented = (docs.get(specifier) ?? []).filter((d) => !d.hasDoc);
    expect(undocumented.map((d) => `${d.name} (${d.where})`)).toEqual([]);
  });

  it.each(entries.map((e) => e.specifier))("every export of %s has an @example", (specifier) => {
    const noExample = (docs.get(specifier) ?? []).filter((d) => !d.hasExample);
    expect(noExample.map((d) => `${d.name} (${d.where})`)).toEqual([]);
  });
});
