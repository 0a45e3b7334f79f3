/**
 * The queue executor's parts that need no Redis: options and their documented defaults, job
 * ids, the `--allow` check, the wire encoding of arguments, values and Comm data, and how an
 * outcome comes back as a result or a typed error. (Redis and real workers: test/e2e/queue-*.)
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { defaultsDisagreeing } from "../../../shared/documented-defaults.test-helpers.js";
import { OptionError, UnknownOptionError } from "../../../shared/options.js";
import { Scheduler } from "../../scheduler.js";
import { Future } from "../executor.js";
import { MemoryLimitExceeded, WallTimeExceeded } from "../limits.js";
import { WorkerDiedError } from "../pool.js";
import { RemoteError } from "../wire.js";
import { assertJobAllowed, ModuleNotAllowedError, moduleRefsIn, resolveRoots } from "./allow.js";
import { assertJobId, InvalidJobIdError } from "./job-ids.js";
import { QUEUE_EXECUTOR_DEFAULTS, resolveQueueOptions } from "./options.js";
import { lostRunMessage, settleWithOutcome } from "./outcome.js";
import {
  decodeArgs,
  decodeChannelMsg,
  encodeArgs,
  encodeChannelMsg,
  outcomeValue,
  valueOutcome,
} from "./protocol.js";
import { QUEUE_WORKER_DEFAULTS } from "./queue-worker.js";

const at = (p: string) => new URL(p, import.meta.url);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("queue executor options", () => {
  const base = { connection: "redis://127.0.0.1:1", queue: "q", maxWorkers: 2 };

  it("defaults are frozen, filled in, and the values the TSDoc documents", () => {
    expect(Object.isFrozen(QUEUE_EXECUTOR_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(QUEUE_WORKER_DEFAULTS)).toBe(true);
    const o = resolveQueueOptions(base);
    expect(o.retries).toBe(QUEUE_EXECUTOR_DEFAULTS.retries);
    expect(o.reconcileSeconds).toBe(QUEUE_EXECUTOR_DEFAULTS.reconcileSeconds);
    expect(o.driverId).toMatch(/^[0-9a-f-]{36}$/);
    expect(defaultsDisagreeing(at("./options.ts"), QUEUE_EXECUTOR_DEFAULTS)).toEqual([]);
    expect(defaultsDisagreeing(at("./queue-worker.ts"), QUEUE_WORKER_DEFAULTS)).toEqual([]);
  });

  it("refuses unknown keys and bad values, naming them", () => {
    expect(() => Scheduler.withQueue({ ...base, retrys: 1 } as never)).toThrow(UnknownOptionError);
    expect(() => Scheduler.withQueue({ ...base, retrys: 1 } as never)).toThrow(
      /did you mean "retries"/,
    );
    expect(() => resolveQueueOptions({ ...base, queue: "a:b" })).toThrow(
      /queue must be a name.*"a:b"/,
    );
    expect(() => resolveQueueOptions({ ...base, maxWorkers: 0 })).toThrow(
      /maxWorkers must be a positive integer, got 0/,
    );
    expect(() => resolveQueueOptions({ ...base, retries: -1 })).toThrow(OptionError);
    expect(() => resolveQueueOptions({ ...base, driverId: "x y" })).toThrow(/driverId/);
    expect(() => resolveQueueOptions({ ...base, reconcileSeconds: 0 })).toThrow(/reconcileSeconds/);
  });

  it("job ids: no ':', not all digits, not empty", () => {
    expect(() => assertJobId("sweep-7.trial-12")).not.toThrow();
    for (const bad of ["", "a:b", "42", 7])
      expect(() => assertJobId(bad)).toThrow(InvalidJobIdError);
    expect(() => assertJobId("a:b")).toThrow(/Invalid job id "a:b"/);
  });
});

describe("--allow", () => {
  function tree() {
    const root = mkdtempSync(join(tmpdir(), "amltk-allow-"));
    dirs.push(root);
    mkdirSync(join(root, "proj"));
    mkdirSync(join(root, "other"));
    writeFileSync(join(root, "proj", "ok.mjs"), "export const f = () => 1;");
    writeFileSync(join(root, "other", "evil.mjs"), "export const f = () => 1;");
    symlinkSync(join(root, "other", "evil.mjs"), join(root, "proj", "link.mjs"));
    return { root, roots: resolveRoots([join(root, "proj")]) };
  }
  const url = (p: string) => pathToFileURL(p).href;

  it("allows modules under a root and amltk's own, refuses others naming path and roots", () => {
    const { root, roots } = tree();
    expect(() => assertJobAllowed(url(join(root, "proj", "ok.mjs")), [], roots)).not.toThrow();
    expect(() => assertJobAllowed(at("./allow.ts").href, [], [])).not.toThrow();
    const evil = join(root, "other", "evil.mjs");
    expect(() => assertJobAllowed(url(evil), [], roots)).toThrow(ModuleNotAllowedError);
    expect(() => assertJobAllowed(url(evil), [], roots)).toThrow(/outside the allowed roots/);
  });

  it("follows symlinks and '..' before deciding; refuses non-file URLs and missing files", () => {
    const { root, roots } = tree();
    expect(() => assertJobAllowed(url(join(root, "proj", "link.mjs")), [], roots)).toThrow(
      /other\/evil\.mjs is outside/,
    );
    expect(() =>
      assertJobAllowed(`${url(join(root, "proj"))}/../other/evil.mjs`, [], roots),
    ).toThrow(ModuleNotAllowedError);
    expect(() => assertJobAllowed("data:text/javascript,1", [], roots)).toThrow(/only file:/);
    expect(() => assertJobAllowed(url(join(root, "proj", "nope.mjs")), [], roots)).toThrow(
      /does not exist on this worker/,
    );
  });

  it("checks every module reference in the arguments (a trampoline's target)", () => {
    const { root, roots } = tree();
    const ref = { moduleUrl: url(join(root, "other", "evil.mjs")), exportName: "f" };
    expect(moduleRefsIn([{ a: [ref] }, "x"])).toEqual([ref.moduleUrl]);
    expect(() => assertJobAllowed(at("./allow.ts").href, [ref, {}], roots)).toThrow(
      /evil\.mjs is outside/,
    );
  });
});

describe("queue wire encoding", () => {
  it("arguments, values and Comm data cross as with structured clone", () => {
    const args = [1, Number.NaN, undefined, new Map([["a", -0]]), { d: new Date(5) }];
    const encoded = encodeArgs(args);
    expect(encoded.A).toBeTypeOf("string");
    expect(decodeArgs(JSON.parse(JSON.stringify(encoded)))).toEqual(args);
    expect(encodeArgs([1, "a"])).toEqual({ a: [1, "a"] });
    const v = { x: Number.POSITIVE_INFINITY, s: new Set([1]) };
    expect(outcomeValue(JSON.parse(JSON.stringify(valueOutcome(v))))).toEqual(v);
    const msg = decodeChannelMsg(
      JSON.parse(JSON.stringify(encodeChannelMsg({ k: "request", rid: 3, d: [Number.NaN] }))),
    );
    expect(msg).toEqual({ k: "request", rid: 3, d: [Number.NaN] });
  });

  it("outcomes settle futures with the value or a typed error", async () => {
    const settled = async (outcome: Parameters<typeof settleWithOutcome>[1]) => {
      const f = new Future<unknown>();
      settleWithOutcome(f, outcome);
      return f.promise.catch((e: unknown) => e) as Promise<Error & { remoteCode?: string }>;
    };
    expect(await settled(valueOutcome(9))).toBe(9);
    const remote = await settled({ e: { name: "ValueError", message: "bad", code: "E1" } });
    expect(remote).toBeInstanceOf(RemoteError);
    expect([remote.name, remote.message, remote.remoteCode]).toEqual(["ValueError", "bad", "E1"]);
    expect(await settled({ limit: "wallTime", value: 2 })).toBeInstanceOf(WallTimeExceeded);
    expect(await settled({ limit: "memory", value: 1 })).toBeInstanceOf(MemoryLimitExceeded);
    const died = await settled({ died: lostRunMessage("j1", 1, 0) });
    expect(died).toBeInstanceOf(WorkerDiedError);
    expect(died.message).toMatch(
      /job j1 stopped responding.*not run again \(1 lost run, retries: 0\)/,
    );
  });
});
