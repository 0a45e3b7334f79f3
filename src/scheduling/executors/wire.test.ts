import { describe, expect, it } from "vitest";
import { AmltkError } from "../../shared/errors.js";
import {
  assertCloneable,
  fromJsonWire,
  type HostMsg,
  jsonSafe,
  RemoteError,
  serializeError,
  toJsonWire,
  UncloneableError,
  type WireError,
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

/** `{ a: { a: ... 1 } }`, `levels` objects deep. */
function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

describe("plain-data walk", () => {
  it("judges deep data the same way for both checks (one depth limit)", () => {
    expect(jsonSafe(nested(20))).toBe(true);
    // Past the limit the JSON wire packs the value, and the clone check takes its exact path.
    expect(jsonSafe(nested(40))).toBe(false);
    expect(() => assertCloneable(nested(40), "Trial")).not.toThrow();
    const deep = { value: nested(40) };
    const back = fromJsonWire<WorkerMsg>(overJson(toJsonWire({ t: "r", id: 1, ok: 1, v: deep })));
    expect(back).toEqual({ t: "r", id: 1, ok: 1, v: deep });
  });

  it("refuses holes, NaN, -0 and class instances as JSON, and finds a function however deep", () => {
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is being tested
    expect(jsonSafe([1, , 3])).toBe(false);
    expect(jsonSafe({ x: Number.NaN })).toBe(false);
    expect(jsonSafe([-0])).toBe(false);
    expect(jsonSafe(new Date(0))).toBe(false);
    const withFn = nested(40) as { a: unknown };
    withFn.a = () => 1;
    expect(() => assertCloneable({ x: withFn }, "Trial")).toThrow(UncloneableError);
  });
});

describe("errors across the wire", () => {
  it("keeps a worker error's code and the error it wraps", () => {
    const inner = Object.assign(new Error("no such file"), { code: "ENOENT" });
    const outer = new Error("could not load the data", { cause: inner });
    const remote = new RemoteError(overJson(serializeError(outer)));
    expect(remote).toBeInstanceOf(AmltkError);
    expect(remote.code).toBe("remote_error");
    expect(remote.message).toBe("could not load the data");
    expect(remote.remoteCode).toBeUndefined();
    const cause = remote.cause as RemoteError;
    expect(cause).toBeInstanceOf(RemoteError);
    expect(cause.message).toBe("no such file");
    expect(cause.remoteCode).toBe("ENOENT");
  });

  it("bounds a cause chain that loops", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    let depth = 0;
    for (let e: WireError | undefined = serializeError(a); e; e = e.cause) depth++;
    expect(depth).toBe(5);
  });
});
