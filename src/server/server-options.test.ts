import { describe, expect, it } from "vitest";
import { defaultsDisagreeing } from "../shared/documented-defaults.test-helpers.js";
import { UnknownOptionError } from "../shared/options.js";
import { MemoryStore } from "../track/memory-store.js";
import { createApp, createServer } from "./create-server.js";
import { defaultReadThreads, SERVER_DEFAULTS } from "./server-options.js";

describe("server options", () => {
  it("refuses a misspelled key, naming the closest one, before listening", async () => {
    const store = new MemoryStore();
    const e = await createServer({ store, prot: 8080 } as never).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UnknownOptionError);
    expect((e as Error).message).toMatch(
      /^createServer: unknown option "prot" \(did you mean "port"\?\)/,
    );
    expect(() => createApp({ store, auth: { read: true } } as never)).toThrow(
      /createServer auth: unknown option "read" \(did you mean "reads"\?\)/,
    );
  });

  it("serves with its defaults: reads open, loopback host", async () => {
    const { app, closeStreams } = createApp({ store: new MemoryStore() });
    const res = await app.request("http://127.0.0.1/api/projects");
    expect(res.status).toBe(200);
    closeStreams();
    expect(Object.isFrozen(SERVER_DEFAULTS)).toBe(true);
    expect(
      defaultsDisagreeing(new URL("./server-options.ts", import.meta.url), SERVER_DEFAULTS),
    ).toEqual([]);
  });

  it("leaves two cores to the event loop and the writer before starting read threads", () => {
    expect([1, 2, 3, 4, 8, 64].map((cores) => defaultReadThreads(cores))).toEqual([
      0, 0, 1, 2, 2, 2,
    ]);
    expect(SERVER_DEFAULTS.readThreads()).toBe(defaultReadThreads());
  });
});
