/**
 * Integers beyond 2^53 through the W&B routes, as `amltk import wandb` treats them: a history
 * line whose `_step` the store cannot hold is dropped (and the rest of the request stored, the
 * line offset moving past it), and a value above 2^53 becomes the nearest double.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "../../track/memory-store.js";
import { createApp } from "../create-server.js";

const RUN = "bigints1";
const T = 1_764_000_000;

let closeAll: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeAll?.();
  closeAll = undefined;
});

function server() {
  const store = new MemoryStore();
  const { app, closeStreams } = createApp({ store, auth: false });
  closeAll = async () => {
    closeStreams();
    await store.close();
  };
  const post = (path: string, body: unknown) =>
    app.request(`http://127.0.0.1${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const stream = (offset: number, content: string[]) =>
    post(`/files/e/p/${RUN}/file_stream`, {
      files: { "wandb-history.jsonl": { offset, content } },
    });
  return { store, post, stream };
}

describe("W&B routes: integers beyond 2^53", () => {
  it("drop a line with a step above 2^53 - 1, keep the rest, and store big values as doubles", async () => {
    const { store, post, stream } = server();
    const upsert = await post("/graphql", {
      query: "mutation UpsertBucket { x }",
      variables: { name: RUN, project: "p", entity: "e" },
    });
    expect(upsert.status).toBe(200);
    const lines = [
      `{"_step":0,"_runtime":0,"_timestamp":${T},"n":1152921504606846977}`,
      `{"_step":9007199254741002,"_runtime":1,"_timestamp":${T + 1},"n":1}`,
      `{"_step":1,"_runtime":2,"_timestamp":${T + 2},"n":2}`,
    ];
    expect((await stream(0, lines)).status).toBe(200);
    // A retry of the same offset doubles nothing; the next offset follows the dropped line.
    expect((await stream(0, lines)).status).toBe(200);
    expect((await stream(3, [`{"_step":2,"_runtime":3,"_timestamp":${T + 3},"n":3}`])).status).toBe(
      200,
    );
    const rows = await store.readHistory(RUN);
    expect(rows.map((r) => [r.step, r.values.n])).toEqual([
      [0, 2 ** 60],
      [1, 2],
      [2, 3],
    ]);
  });

  it("still refuse a history line without a numeric _step", async () => {
    const { post, stream } = server();
    await post("/graphql", {
      query: "mutation UpsertBucket { x }",
      variables: { name: RUN, project: "p", entity: "e" },
    });
    const res = await stream(0, [`{"_step":"x","n":1}`]);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("_step must be a non-negative integer");
  });
});
