/**
 * A run finished `pruned` over the W&B protocol: W&B has no pruned state, so the tracker sends
 * exit code 0 and adds the tag "pruned"; our server's W&B routes read that back as `pruned`.
 * Real server on 127.0.0.1, real SQLite file, the real W&B-protocol tracker mode.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, tempDir } from "../../server/server.test-helpers.js";
import { init } from "../index.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe("pruned over the W&B protocol", () => {
  it("closes with exit code 0 and the tag pruned, stored pruned by our server", async () => {
    const ts = await startTestServer();
    cleanup.push(() => ts.stop());
    const dir = tempDir("amltk-wbo-pruned-");
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const common = {
      dir,
      project: "wb-pruned",
      mode: "online" as const,
      protocol: "wandb" as const,
      baseUrl: ts.server.url,
      apiKey: ts.key,
      tags: ["sweep"],
      systemInterval: 0,
      reinit: "create_new" as const,
    };
    const pruned = await init({ ...common, id: "wbp1" });
    pruned.log({ loss: 0.9 });
    await pruned.finish({ state: "pruned" });
    const done = await init({ ...common, id: "wbp2" });
    done.log({ loss: 0.1 });
    await done.finish();

    expect(await ts.store.getRun("wbp1")).toMatchObject({
      state: "pruned",
      exitCode: 0,
      tags: ["sweep", "pruned"],
    });
    expect(await ts.store.getRun("wbp2")).toMatchObject({ state: "finished", tags: ["sweep"] });
  });
});
