import { describe, expect, it } from "vitest";
import {
  assertCloneable,
  fromJsonWire,
  type HostMsg,
  jsonSafe,
  toJsonWire,
  UncloneableError,
  type WorkerMsg,
} from "./wire.js";

/** What a JSON IPC channel does to a message. */
const overJson = (m: unknown) => JSON.parse(JSON.stringify(m));

describe("JSON wire", () => {
  it("keeps every structured-clone value exactly", () => {
    const tricky = {
      inf: Number.POSITIVE_INFINITY,
      nan: Number.NaN,
      negZero: -0,
      undef: undefined,
      map: new Map([["a", 1]]),
      set: new Set([1, 2]),
      date: new Date(0),
      bytes: new Uint8Array([1, 2, 3]),
      // biome-ignore lint/suspicious/noSparseArray: a hole is what is being tested
      holes: [1, , 3],
      big: 10n,
    };
    const run: HostMsg = { t: "run", jobs: [{ id: 1, m: "u", e: "f", a: [tricky] }] };
    const back = fromJsonWire<HostMsg>(overJson(toJsonWire(run)));
    expect(back).toEqual(run);
    const a = (back as unknown as { jobs: { a: [typeof tricky] }[] }).jobs[0]?.a[0];
    expect(Object.is(a?.negZero, -0)).toBe(true);
    expect("undef" in (a ?? {})).toBe(true);
    const reply: WorkerMsg = { t: "r", id: 1, ok: 1, v: { worst: Number.POSITIVE_INFINITY } };
    expect(fromJsonWire(overJson(toJsonWire(reply)))).toEqual(reply);
    const data: WorkerMsg = { t: "c", id: 1, k: "message", d: new Map([[1, 2]]) };
    expect(fromJsonWire(overJson(toJsonWire(data)))).toEqual(data);
  });

  it("sends plain data as plain JSON", () => {
    const run: HostMsg = {
      t: "run",
      jobs: [{ id: 1, m: "u", e: "f", a: [1, "x", { y: [true] }] }],
    };
    expect(toJsonWire(run)).toBe(run);
    expect(jsonSafe({ a: [1, null, "s"] })).toBe(true);
    expect(jsonSafe({ a: undefined })).toBe(false);
  });

  it("names the part that cannot be cloned", () => {
    expect(() => assertCloneable({ cfg: { fit: function fit() {} } }, "Trial", "trial")).toThrow(
      UncloneableError,
    );
    expect(() => assertCloneable({ cfg: { fit: function fit() {} } }, "Trial", "trial")).toThrow(
      /trial\.cfg\.fit \(a function \(fit\)\)/,
    );
  });
});
