/** Every public export of `amltk/wandb` carries TSDoc with an `@example`. */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const entry = readFileSync(join(here, "..", "public", "wandb.ts"), "utf8");
const names = [
  ...(/export \{([^}]*)\} from "\.\.\/wandb\/index\.js"/.exec(entry)?.[1] ?? "")
    .split(",")
    .map((s) => s.replace(/^\s*type\s+/, "").trim())
    .filter(Boolean),
];
const sources = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
  .map((f) => readFileSync(join(here, f), "utf8"));

/** The TSDoc comment right before `export <kind> <name>`, if any. */
function docOf(name: string): string | undefined {
  const decl = new RegExp(
    `(/\\*\\*(?:(?!\\*/)[\\s\\S])*\\*/)\\s*export (?:async )?(?:class|interface|type|function|const) ${name}\\b`,
  );
  for (const src of sources) {
    const m = decl.exec(src);
    if (m) return m[1];
  }
  return undefined;
}

describe("amltk/wandb docs", () => {
  it("finds the exports", () => {
    expect(names).toEqual(expect.arrayContaining(["WandbPlugin", "WandbParams", "ModifyFn"]));
  });

  it.each(names)("%s has TSDoc with an @example", (name) => {
    expect(docOf(name), `${name}: no TSDoc`).toBeDefined();
    expect(docOf(name)).toContain("@example");
  });
});
