import { describe, expect, it } from "vitest";
import { moduleOf } from "../scheduling/executors/executor.js";
import { callTrial } from "./trial-call.js";
import { CALL_TRIAL } from "./trial-task.js";

describe("CALL_TRIAL", () => {
  // Trial.Task names the worker trampoline by address (importing it would close an import
  // cycle through Trial); the address must be the one the trampoline records for itself.
  it("is the module and export that callTrial records", () => {
    expect(CALL_TRIAL).toEqual(moduleOf(callTrial));
  });
});
