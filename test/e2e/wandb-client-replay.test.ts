/**
 * The W&B protocol routes without Python: the real wandb 0.30 client's requests, recorded by
 * wandb-client.test.ts (a new run, then a resume of it finished with exit code 3), replayed
 * against a fresh server with our own key sent as HTTP Basic `api:<key>` like the client does.
 * Then every file_stream request is sent again, as retries, on the same server and on a server
 * reopened over the same database: exactly once by offset, nothing doubles.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeys } from "../../src/server/auth.js";
import { createApp } from "../../src/server/create-server.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { MemoryStore } from "../../src/track/memory-store.js";
import type { RecordedRequest } from "../fixtures/wandb-protocol/recorder.js";

const FIXTURE = fileURLToPath(
  new URL("../fixtures/wandb-protocol/wandb-0.30-requests.json", import.meta.url),
);
const recorded = JSON.parse(readFileSync(FIXTURE, "utf8")) as RecordedRequest[];
const RUN = "wbclient1";
const STEPS = 40;

type App = ReturnType<typeof createApp>["app"];

function basic(key: string): string {
  return `Basic ${Buffer.from(`api:${key}`).toString("base64")}`;
}

/** Replays `requests` on `app`; upload paths take the tokens of the replayed CreateRunFiles. */
async function replay(
  app: App,
  key: string,
  requests: readonly RecordedRequest[],
  answers: string[] = [],
): Promise<number[]> {
  const uploads = new Map<string, string>();
  const statuses: number[] = [];
  for (const r of requests) {
    let path = r.path;
    if (path.includes("token={token}")) {
      const name = decodeURIComponent(path.slice(path.indexOf("/upload/") + 8, path.indexOf("?")));
      path = uploads.get(name) ?? path;
    }
    const headers: Record<string, string> = {};
    if (r.contentType) headers["content-type"] = r.contentType;
    if (!path.includes("/upload/")) headers.authorization = basic(key);
    const body =
      r.method === "GET" ? undefined : r.base64 ? Buffer.from(r.base64, "base64") : r.body;
    const res = await app.request(`http://127.0.0.1${path}`, { method: r.method, headers, body });
    const text = await res.text();
    statuses.push(res.status);
    answers.push(text);
    if (r.body.includes('"CreateRunFiles"')) {
      const answer = JSON.parse(text) as {
        data: { createRunFiles: { files: { name: string; uploadUrl: string }[] } };
      };
      for (const f of answer.data.createRunFiles.files) {
        const u = new URL(f.uploadUrl);
        uploads.set(f.name, `${u.pathname}${u.search}`);
      }
    }
  }
  return statuses;
}

describe("the wandb client's recorded requests, replayed", () => {
  let dir: string;
  let store: SqliteStore;
  let key: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "amltk-wandb-replay-"));
    store = await SqliteStore.open(dir);
    key = new ApiKeys(store.db).create("wandb").key;
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function counts() {
    const loss = await store.readPoints({ runId: RUN, key: "loss" });
    const console = await store.readConsole(RUN);
    const system = await store.readSeries({
      runIds: [RUN],
      keys: ["system.cpu"],
      x: "step",
      buckets: 1,
      source: "system",
    });
    return {
      loss: loss.length,
      console: console.length,
      system: system[0]?.buckets[0]?.count ?? 0,
    };
  }

  it("answers every request as the recording did and stores the run", async () => {
    const { app, closeStreams } = createApp({ store });
    try {
      const answers: string[] = [];
      expect(await replay(app, key, recorded, answers)).toEqual(recorded.map((r) => r.status));
      const artifact = recorded.findIndex((r) => r.body.includes('"CreateArtifact"'));
      expect(artifact).toBeGreaterThanOrEqual(0);
      expect(answers[artifact]).toMatch(/artifacts are not supported by this amltk server/);
    } finally {
      closeStreams();
    }
    const run = await store.getRun(RUN);
    expect(run).toMatchObject({
      project: "wb-proj",
      entity: "wb-team",
      name: "first name",
      state: "failed",
      exitCode: 3,
      config: { lr: 0.01, batch: 32 },
    });
    expect(run!.summary).toMatchObject({ best: 0.75 });
    const loss = await store.readPoints({ runId: RUN, key: "loss" });
    expect(loss.length).toBe(2 * STEPS);
    expect(new Set(loss.map((p) => p.step)).size).toBe(2 * STEPS);
    expect((await counts()).console).toBe(4);
    const files = new RunFilesList(app);
    expect(await files.names()).toContain("wandb-metadata.json");
  });

  it("retried file_stream requests, before and after a restart, double nothing", async () => {
    const before = await counts();
    expect(before.system).toBeGreaterThan(0);
    const streams = recorded.filter((r) => r.path.endsWith("/file_stream"));
    const first = createApp({ store });
    expect(await replay(first.app, key, streams)).toEqual(streams.map(() => 200));
    first.closeStreams();
    await store.close();
    store = await SqliteStore.open(dir); // the server restarts over the same database
    const second = createApp({ store });
    expect(await replay(second.app, key, streams)).toEqual(streams.map(() => 200));
    second.closeStreams();
    expect(await counts()).toEqual(before);
  });

  it("refuses a bad key, a read-only key, a key of another project, and artifacts by name", async () => {
    const { app, closeStreams } = createApp({ store });
    try {
      const keys = new ApiKeys(store.db);
      const post = (k: string, body: unknown) =>
        app.request("http://127.0.0.1/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: basic(k) },
          body: JSON.stringify(body),
        });
      const upsert = {
        query: "mutation UpsertBucket { x }",
        variables: { name: "r2", project: "p" },
      };
      expect((await post("amltk_000000000000_nope", upsert)).status).toBe(401);
      expect((await post(keys.create("ro", { scope: "read" }).key, upsert)).status).toBe(403);
      expect((await post(keys.create("other", { projects: ["q"] }).key, upsert)).status).toBe(403);
      const art = await post(key, {
        query: "mutation CreateArtifact { x }",
        operationName: "CreateArtifact",
      });
      expect(art.status).toBe(200);
      expect(await art.json()).toMatchObject({
        errors: [{ message: expect.stringMatching(/artifacts are not supported/) }],
      });
      const viewer = await post(key, { query: "query Viewer { viewer { id } }" });
      expect(await viewer.json()).toMatchObject({ data: { viewer: { entity: "amltk" } } });
    } finally {
      closeStreams();
    }
  });

  it("a key's project limit holds for a body sent without Content-Length (W&B routes and /api)", async () => {
    // The body limit replaces such a request; the grant must survive that.
    const { app, closeStreams } = createApp({ store });
    try {
      const other = new ApiKeys(store.db).create("other", { projects: ["q"] }).key;
      const res = await app.request("http://127.0.0.1/api/runs", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${other}` },
        body: JSON.stringify({ id: "limited1", project: "p", name: "x", createdAt: 1 }),
      });
      expect(res.status).toBe(403);
    } finally {
      closeStreams();
    }
  });

  it("run files: names stay inside the run's folder; an upload needs the token it was given", async () => {
    const { app, closeStreams } = createApp({ store });
    try {
      const createFiles = (files: string[]) =>
        app.request("http://127.0.0.1/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: basic(key) },
          body: JSON.stringify({
            query: "mutation CreateRunFiles { x }",
            variables: { entity: "wb-team", project: "wb-proj", run: RUN, files },
          }),
        });
      for (const bad of ["../escape.txt", "a//b", "/abs", "a\\b"]) {
        const res = await createFiles([bad]);
        expect(res.status, bad).toBe(400);
        expect(await res.text()).toContain("bad file name");
      }
      const ok = (await (await createFiles(["notes/n.txt"])).json()) as {
        data: { createRunFiles: { files: { uploadUrl: string }[] } };
      };
      const url = new URL(ok.data.createRunFiles.files[0]!.uploadUrl);
      const forged = `${url.pathname}?token=forged`;
      expect(
        (await app.request(`http://127.0.0.1${forged}`, { method: "PUT", body: "x" })).status,
      ).toBe(403);
      const put = await app.request(`http://127.0.0.1${url.pathname}${url.search}`, {
        method: "PUT",
        body: "hello",
      });
      expect(put.status).toBe(200);
      const again = await app.request(`http://127.0.0.1${url.pathname}${url.search}`, {
        method: "PUT",
        body: "x",
      });
      expect(again.status).toBe(403); // one use only
      const raw = await app.request(
        `http://127.0.0.1/files/wb-team/wb-proj/${RUN}/raw/notes/n.txt`,
      );
      expect(await raw.text()).toBe("hello");
    } finally {
      closeStreams();
    }
  });

  it("a store without a folder refuses run files by a GraphQL error (the client does not retry)", async () => {
    const memory = new MemoryStore();
    const { app, closeStreams } = createApp({ store: memory, auth: false });
    try {
      const res = await app.request("http://127.0.0.1/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: "mutation CreateRunFiles { x }",
          variables: { project: "p", run: "r", files: ["a.txt"] },
        }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        errors: [{ message: expect.stringMatching(/not kept by this server/) }],
      });
    } finally {
      closeStreams();
      await memory.close();
    }
  });

  it("new keys are ones the wandb client accepts (no '-' unless 40+ characters follow it)", () => {
    const keys = new ApiKeys(store.db);
    for (let i = 0; i < 200; i++) {
      const k = keys.create(`k${i}`).key;
      const dash = k.indexOf("-");
      expect(dash === -1 || k.length - dash - 1 >= 40, k).toBe(true);
    }
  });
});

/** The run's files as the files listing route gives them. */
class RunFilesList {
  constructor(private readonly app: App) {}
  async names(): Promise<string[]> {
    const res = await this.app.request(`http://127.0.0.1/files/wb-team/wb-proj/${RUN}`);
    return ((await res.json()) as { files: { name: string }[] }).files.map((f) => f.name);
  }
}
