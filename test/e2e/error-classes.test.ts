/**
 * Every error class a public entry point exports is an AmltkError (so `instanceof AmltkError`
 * and a stable `code` hold for all of them), and the option-type defaults it exports are frozen.
 */
import { describe, expect, it } from "vitest";
import * as amltk from "../../src/public/index.js";
import * as server from "../../src/public/server.js";
import * as track from "../../src/public/track.js";
import * as wandb from "../../src/public/wandb.js";

const entries = { amltk, "amltk/track": track, "amltk/server": server, "amltk/wandb": wandb };

/** The exported classes whose instances are Errors, by "entry: name". */
function errorClasses(): Map<string, abstract new (...args: never[]) => Error> {
  const out = new Map<string, abstract new (...args: never[]) => Error>();
  for (const [entry, mod] of Object.entries(entries)) {
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === "function" && value.prototype instanceof Error) {
        out.set(`${entry}: ${name}`, value as abstract new (...args: never[]) => Error);
      }
    }
  }
  return out;
}

describe("public error classes", () => {
  it("all extend AmltkError", () => {
    const classes = errorClasses();
    // The ones each room throws are all there (a sample; the check below covers every one).
    for (const name of ["TrackError", "StoreError", "StoreFullError", "WandbLogError"])
      expect(classes.has(`amltk/track: ${name}`), name).toBe(true);
    for (const name of ["SpaceError", "UnsupportedLimitError", "RemoteError", "OptionError"])
      expect(classes.has(`amltk: ${name}`), name).toBe(true);
    expect(classes.has("amltk/server: ApiError")).toBe(true);
    const outside = [...classes]
      .filter(([, cls]) => cls !== amltk.AmltkError && !(cls.prototype instanceof amltk.AmltkError))
      .map(([name]) => name);
    expect(outside).toEqual([]);
  });

  it("carry their documented codes", () => {
    expect(new amltk.CancelledError().code).toBe("cancelled");
    expect(new amltk.WallTimeExceeded(5).code).toBe("wall_time_exceeded");
    expect(new amltk.MemoryLimitExceeded(1).code).toBe("memory_limit_exceeded");
    expect(new amltk.UnsupportedLimitError("memory", "threads", "shared RSS").code).toBe(
      "unsupported_limit",
    );
    expect(new amltk.SpaceError("bad").code).toBe("invalid_space");
    expect(new amltk.Pruned(3).code).toBe("pruned");
    expect(new track.TrackError("bad key").code).toBe("invalid");
    expect(new track.StoreError("no run x", "not_found").code).toBe("not_found");
    expect(new track.StoreFullError("/tmp/amltk.db").code).toBe("full");
    expect(new server.ApiError(404, "not_found", "no run x").code).toBe("not_found");
    expect(new server.KeyOptionError("bad scope").code).toBe("invalid_option");
  });
});

describe("public defaults", () => {
  it("are frozen", () => {
    const defaults = Object.entries(entries).flatMap(([entry, mod]) =>
      Object.entries(mod)
        .filter(([name]) => name.endsWith("_DEFAULTS"))
        .map(([name, value]) => [`${entry}: ${name}`, value] as const),
    );
    expect(defaults.length).toBeGreaterThanOrEqual(14);
    for (const [name, value] of defaults) expect(Object.isFrozen(value), name).toBe(true);
  });
});
