/**
 * The public API report: for each package entry point, its runtime names (what `import *`
 * gives) and its type-only names, each with its kind. The reports are committed under
 * `docs/api-report/` and `api-report.test.ts` compares them with the entries, so a change to
 * the public API shows up as a deliberate diff in review.
 *
 * Regenerate after an intended change: `npm run api-report` (this file with `--write`).
 *
 * Names and kinds only, not signatures: a signature change is reviewed in the source, while
 * what enters or leaves the public path is what this report exists to catch.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { API, type Checker, SymbolFlags, type Symbol as TsSymbol } from "typescript/unstable/sync";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const reportDir = join(root, "docs", "api-report");

/** One entry point of package.json's `exports`, e.g. `amltk/track` → src/public/track.ts. */
export interface Entry {
  specifier: string;
  /** The entry's source file. */
  file: string;
  /** The committed report, e.g. docs/api-report/amltk-track.md. */
  report: string;
}

/** The entry points package.json names (every subpath but `./package.json`). */
export function entries(): Entry[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    exports: Record<string, unknown>;
  };
  return Object.keys(pkg.exports)
    .filter((k) => k !== "./package.json")
    .map((k) => {
      const name = k === "." ? "index" : k.slice(2);
      const specifier = k === "." ? "amltk" : `amltk/${name}`;
      return {
        specifier,
        file: join(root, "src", "public", `${name}.ts`),
        report: join(reportDir, `${specifier.replace("/", "-")}.md`),
      };
    });
}

/** What a reader would call the declaration: class, function, const, interface, type, enum. */
function kindOf(symbol: TsSymbol): string {
  const f = symbol.flags;
  if (f & SymbolFlags.Class) return "class";
  if (f & SymbolFlags.Function) return "function";
  if (f & SymbolFlags.Enum) return "enum";
  if (f & SymbolFlags.Variable) return "const";
  if (f & SymbolFlags.Interface) return "interface";
  if (f & SymbolFlags.TypeAlias) return "type";
  if (f & SymbolFlags.Namespace) return "namespace";
  return "other";
}

/** Every name the checker sees exported from `file`, with the kind of what it resolves to. */
function exportedKinds(checker: Checker, source: unknown, file: string): Map<string, string> {
  const moduleSymbol = checker.getSymbolAtLocation(source as never);
  if (!moduleSymbol) throw new Error(`${file} has no module symbol`);
  const kinds = new Map<string, string>();
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const target = symbol.flags & SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    kinds.set(symbol.name, kindOf(target));
  }
  return kinds;
}

/** The report's text: runtime names, then type-only names, each sorted, one per line. */
function render(entry: Entry, kinds: Map<string, string>, runtime: Set<string>): string {
  for (const name of runtime) {
    if (!kinds.has(name)) throw new Error(`${entry.specifier}: runtime name ${name} has no type`);
  }
  const line = (n: string) => `- \`${n}\` (${kinds.get(n)})`;
  const names = [...kinds.keys()].sort();
  const values = names.filter((n) => runtime.has(n));
  const types = names.filter((n) => !runtime.has(n));
  return [
    `# \`${entry.specifier}\` — public API report`,
    "",
    `Generated from \`src/public/${entry.file.split("/").pop()}\` by \`npm run api-report\`;`,
    "`test/e2e/api-report.test.ts` fails when it differs from the entry. Review a change to",
    "this file as a change to the package's public API.",
    "",
    `## Runtime exports (${values.length})`,
    "",
    ...values.map(line),
    "",
    `## Type-only exports (${types.length})`,
    "",
    ...types.map(line),
    "",
  ].join("\n");
}

/** Builds the report of every entry point (the checker runs once, in a child process). */
export async function buildReports(): Promise<Map<Entry, string>> {
  const api = new API({ cwd: root });
  try {
    const project = api
      .updateSnapshot({ openProjects: [join(root, "tsconfig.build.json")] })
      .getProjects()[0]!;
    const reports = new Map<Entry, string>();
    for (const entry of entries()) {
      const source = project.program.getSourceFile(entry.file);
      if (!source) throw new Error(`${entry.file} is not part of tsconfig.build.json`);
      const kinds = exportedKinds(project.checker, source, entry.file);
      const runtime = new Set(Object.keys(await import(pathToFileURL(entry.file).href)));
      reports.set(entry, render(entry, kinds, runtime));
    }
    return reports;
  } finally {
    api.close();
  }
}

// `node --import tsx test/e2e/api-report.ts --write` rewrites the committed reports.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes("--write")) {
  for (const [entry, text] of await buildReports()) {
    writeFileSync(entry.report, text);
    console.log(`wrote ${entry.report.replace(`${root}/`, "")}`);
  }
}
