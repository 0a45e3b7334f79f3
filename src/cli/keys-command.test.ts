/**
 * `amltk keys create --scope --project`: the scope and projects are stored with the key, shown
 * by `keys list`, and a bad scope is refused before anything is written. In-process (the
 * commands' own Commander program), over a real SQLite store in a temp folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, expect, it, vi } from "vitest";
import { ApiKeys } from "../server/auth.js";
import { SqliteStore } from "../store/sqlite/index.js";
import { registerServerCommands } from "./server-command.js";

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs `amltk <args>` in-process; returns what it printed to stdout. */
async function amltk(args: string[]): Promise<string[]> {
  const out: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation(() => {});
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  registerServerCommands(program);
  await program.parseAsync(["node", "amltk", ...args]);
  return out;
}

it("stores a key's scope and projects and lists them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "amltk-keys-cli-"));
  dirs.push(dir);
  const [key] = await amltk([
    "keys",
    "create",
    "--dir",
    dir,
    "--scope",
    "read",
    "--project",
    "a",
    "--project",
    "b",
  ]);
  const store = SqliteStore.openSync(dir);
  try {
    const grant = new ApiKeys(store.db).check(key);
    expect(grant).toMatchObject({ scope: "read", projects: ["a", "b"] });
  } finally {
    store.closeSync();
  }
  const listed = await amltk(["keys", "list", "--dir", dir]);
  expect(listed.join("\n")).toMatch(/ read {2}projects a,b /);
  await expect(amltk(["keys", "create", "--dir", dir, "--scope", "admin"])).rejects.toThrow(
    /admin/,
  );
  const store2 = SqliteStore.openSync(dir);
  try {
    expect(new ApiKeys(store2.db).list()).toHaveLength(1);
  } finally {
    store2.closeSync();
  }
});
