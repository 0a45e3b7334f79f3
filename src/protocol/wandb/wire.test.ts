import * as v from "valibot";
import { describe, expect, it } from "vitest";
import {
  decodeEventsLine,
  decodeHistoryLine,
  decodeOutputLine,
  decodeSummaryLine,
  decodeWandbConfig,
  encodeEventsLine,
  encodeHistoryLine,
  encodeOutputLine,
  encodeWandbConfig,
  fileStreamRequestSchema,
  operationOf,
  parseWandbJson,
  stringifyWandbJson,
  WandbLineError,
} from "./index.js";

describe("W&B JSON", () => {
  it("reads and writes NaN and ±Infinity as bare tokens, leaving strings alone", () => {
    const text = stringifyWandbJson({ a: Number.NaN, b: [Infinity, -Infinity], s: "NaN" });
    expect(text).toBe('{"a":NaN,"b":[Infinity,-Infinity],"s":"NaN"}');
    expect(parseWandbJson(text)).toEqual({ a: Number.NaN, b: [Infinity, -Infinity], s: "NaN" });
    expect(parseWandbJson('{"s":"a \\" NaN"}')).toEqual({ s: 'a " NaN' });
    expect(() => parseWandbJson("{nope")).toThrow(SyntaxError);
  });
});

describe("config", () => {
  it("unwraps {value} and keeps _wandb apart, and round trips", () => {
    const encoded = '{"lr":{"value":0.1},"nested":{"value":{"a":1}},"_wandb":{"value":{"m":[]}}}';
    expect(decodeWandbConfig(encoded)).toEqual({
      config: { lr: 0.1, nested: { a: 1 } },
      wandb: { m: [] },
    });
    const back = decodeWandbConfig(encodeWandbConfig({ lr: 0.1, x: Number.NaN }, { m: [] }));
    expect(back).toEqual({ config: { lr: 0.1, x: Number.NaN }, wandb: { m: [] } });
  });
});

describe("lines", () => {
  it("history lines round trip and need an integer _step", () => {
    const h = { step: 3, runtime: 0.5, timestamp: 1_700_000_000.25, values: { loss: Infinity } };
    expect(decodeHistoryLine(encodeHistoryLine(h))).toEqual(h);
    expect(() => decodeHistoryLine('{"_step":1.5}')).toThrow(
      /_step must be a non-negative integer, got 1.5/,
    );
    expect(() => decodeHistoryLine("[1]")).toThrow(WandbLineError);
  });

  it("summary drops _wandb; events keep numeric system keys", () => {
    expect(decodeSummaryLine('{"acc":0.9,"_wandb":{"runtime":3}}')).toEqual({ acc: 0.9 });
    const e = { timestamp: 1_700_000_000, runtime: 1, values: { "system.cpu": 12.5 } };
    expect(decodeEventsLine(encodeEventsLine(e))).toEqual(e);
  });

  it("output lines: UTC time with microseconds, stderr as ERROR", () => {
    const o = { stream: "stderr" as const, timestamp: 1_767_323_045.25, text: "oops  x" };
    expect(encodeOutputLine(o)).toBe("ERROR 2026-01-02T03:04:05.250000 oops  x");
    expect(decodeOutputLine(encodeOutputLine(o))).toEqual(o);
    expect(decodeOutputLine("no time here", 5)).toEqual({
      stream: "stdout",
      timestamp: 5,
      text: "no time here",
    });
  });
});

describe("requests", () => {
  it("names the operation from operationName or the query text", () => {
    expect(operationOf({ query: "mutation UpsertBucket($n: String) { x }" })).toBe("UpsertBucket");
    expect(operationOf({ query: "query { x }", operationName: "Viewer" })).toBe("Viewer");
    expect(operationOf({ query: "{ x }" })).toBeUndefined();
  });

  it("file_stream bodies: negative offsets are refused", () => {
    const ok = v.safeParse(fileStreamRequestSchema, {
      files: { "output.log": { offset: 2, content: ["x"] } },
      complete: true,
      exitcode: 1,
      uploaded: [],
    });
    expect(ok.success).toBe(true);
    const bad = v.safeParse(fileStreamRequestSchema, { files: { a: { offset: -1, content: [] } } });
    expect(bad.success).toBe(false);
  });
});
