import { describe, expect, it } from "vitest";
import { AmltkError, hasCode } from "./errors.js";
import {
  checkOptionKeys,
  closestKey,
  editDistance,
  OptionError,
  optionKeys,
  UnknownOptionError,
} from "./options.js";

describe("editDistance", () => {
  it("counts inserts, deletes, substitutions and one swap of neighbours as one edit each", () => {
    expect(editDistance("seed", "seed")).toBe(0);
    expect(editDistance("sed", "seed")).toBe(1);
    expect(editDistance("seeds", "seed")).toBe(1);
    expect(editDistance("sead", "seed")).toBe(1);
    expect(editDistance("trails", "trials")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("closestKey", () => {
  const known = ["nStartupTrials", "nEiCandidates", "seed", "multivariate"];
  it("finds the key a typo meant", () => {
    expect(closestKey("nStartupTrails", known)).toBe("nStartupTrials");
    expect(closestKey("nEICandidates", known)).toBe("nEiCandidates");
    expect(closestKey("multivariat", known)).toBe("multivariate");
    expect(closestKey("sed", known)).toBe("seed");
  });
  it("suggests nothing for a key unlike any", () => {
    expect(closestKey("colour", known)).toBeUndefined();
    expect(closestKey("x", known)).toBeUndefined();
  });
});

describe("checkOptionKeys", () => {
  const known = ["nStartupTrials", "seed"];
  it("passes known keys and no options at all", () => {
    expect(() => checkOptionKeys({ seed: 1 }, known, "TPE")).not.toThrow();
    expect(() => checkOptionKeys({}, known, "TPE")).not.toThrow();
    expect(() => checkOptionKeys(undefined, known, "TPE")).not.toThrow();
  });
  it("refuses an unknown key, naming it, the caller and the closest valid key", () => {
    let err: unknown;
    try {
      checkOptionKeys({ seed: 1, nStartupTrails: 5 }, known, "TPE");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownOptionError);
    expect(err).toBeInstanceOf(OptionError);
    expect(err).toBeInstanceOf(AmltkError);
    const e = err as UnknownOptionError;
    expect(e.code).toBe("unknown_option");
    expect(e.option).toBe("nStartupTrails");
    expect(e.where).toBe("TPE");
    expect(e.closest).toBe("nStartupTrials");
    expect(e.message).toBe(
      'TPE: unknown option "nStartupTrails" (did you mean "nStartupTrials"?); valid options: nStartupTrials, seed',
    );
    expect(hasCode(e, "unknown_option")).toBe(true);
  });
  it("refuses a misspelled key even when its value is undefined", () => {
    expect(() => checkOptionKeys({ sed: undefined }, known, "f")).toThrow(/"sed".*"seed"/);
  });
  it("refuses options that are not an object", () => {
    for (const bad of [null, 5, "seed", [1]]) {
      expect(() => checkOptionKeys(bad, known, "f")).toThrow(OptionError);
    }
  });
});

describe("optionKeys", () => {
  it("lists the keys of a type, frozen", () => {
    interface Fit {
      epochs?: number;
      lr: number;
    }
    const keys = optionKeys<Fit>({ epochs: true, lr: true });
    expect(keys).toEqual(["epochs", "lr"]);
    expect(Object.isFrozen(keys)).toBe(true);
  });
});

describe("AmltkError", () => {
  it("keeps its code and the error it wraps", () => {
    const inner = new Error("disk gone");
    const e = new AmltkError("busy", "could not write", { cause: inner });
    expect(e.code).toBe("busy");
    expect(e.cause).toBe(inner);
    expect(e.message).toBe("could not write");
    expect(new AmltkError("x", "y").cause).toBeUndefined();
    expect("cause" in new AmltkError("x", "y")).toBe(false);
  });
});
