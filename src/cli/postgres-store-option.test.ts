/**
 * `--store postgres://...` on the reading commands: `amltk runs list/show/export` read a
 * PostgreSQL database as they read a folder. In-process (the commands' own Commander program),
 * over a real private cluster.
 */
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { postgresAvailability } from "../../test/services/postgres.js";
import { skipBecause } from "../../test/skip.js";
import { PostgresStore } from "../store/postgres/index.js";
import { freshPostgresUrl } from "../store/postgres/postgres.test-helpers.js";
import { registerRunsCommands } from "./runs-command.js";

const PG = postgresAvailability("amltk runs --store postgres://");
const noPg = skipBecause(!PG.found, "amltk runs --store postgres://", PG.reason);

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `amltk <args>` in-process; returns what it printed to stdout. */
async function amltk(args: string[]): Promise<string> {
  let out = "";
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
    out += `${a.join(" ")}\n`;
  });
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => {
    out += String(chunk);
    return true;
  });
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  registerRunsCommands(program);
  await program.parseAsync(["node", "amltk", ...args]);
  return out;
}

describe.skipIf(noPg)("amltk runs --store postgres://", () => {
  it("lists, shows and exports a run stored in PostgreSQL", async () => {
    const url = await freshPostgresUrl();
    const store = await PostgresStore.open(url);
    await store.createRun({
      id: "pg-run",
      project: "p",
      name: "on-pg",
      createdAt: 1_764_000_000_000,
    });
    await store.appendHistory("pg-run", [
      { step: 0, runtime: 0, timestamp: 1, values: { loss: 0.5 } },
      { step: 1, runtime: 1, timestamp: 2, values: { loss: Number.NaN } },
    ]);
    await store.updateRun("pg-run", { state: "finished", exitCode: 0 });
    await store.close();
    expect(await amltk(["runs", "list", "--store", url])).toMatch(
      /pg-run\s+p\s+on-pg\s+finished\s+0/,
    );
    const shown = JSON.parse(await amltk(["runs", "show", "pg-run", "--store", url]));
    expect(shown).toMatchObject({ id: "pg-run", historyKeys: { loss: 2 } });
    const csv = await amltk(["runs", "export", "pg-run", "--store", url]);
    expect(csv.split("\n")[0]).toContain("loss");
    expect(csv.split("\n")).toHaveLength(4); // header, two rows, final newline
  });
});
