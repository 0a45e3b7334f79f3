import { describe, expect, it } from "vitest";
import { defaultsDisagreeing } from "../shared/documented-defaults.test-helpers.js";
import { UnknownOptionError } from "../shared/options.js";
import { init } from "./init.js";
import { INIT_DEFAULTS } from "./init-options.js";
import { MemoryStore } from "./memory-store.js";

describe("init options", () => {
  it("refuses a misspelled key, naming the closest one, before creating a run", async () => {
    const store = new MemoryStore();
    const e = await init({ store, systemInterval: 0, projet: "p" } as never).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(UnknownOptionError);
    expect((e as UnknownOptionError).message).toMatch(
      /^init: unknown option "projet" \(did you mean "project"\?\)/,
    );
    expect((await store.listRuns({})).total).toBe(0);
  });

  it("uses frozen defaults, the values the TSDoc documents", async () => {
    expect(Object.isFrozen(INIT_DEFAULTS)).toBe(true);
    expect(
      defaultsDisagreeing(new URL("./init-options.ts", import.meta.url), INIT_DEFAULTS),
    ).toEqual([]);
    const run = await init({ mode: "disabled", reinit: "create_new" });
    expect(run.project).toBe(process.env.AMLTK_PROJECT ?? INIT_DEFAULTS.project);
    await run.finish();
  });
});
