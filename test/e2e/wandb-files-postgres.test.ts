/**
 * Run files on a store without a folder: a PostgreSQL-backed server given `filesDir` keeps the
 * files the real wandb 0.30 client uploads (its recorded requests, image included), and serves
 * them back, as a SQLite-backed server does beside its database.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/server/create-server.js";
import { freshPostgresStore } from "../../src/store/postgres/postgres.test-helpers.js";
import type { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { RecordedRequest } from "../fixtures/wandb-protocol/recorder.js";
import { postgresAvailability } from "../services/postgres.js";
import { skipBecause } from "../skip.js";

const FIXTURE = fileURLToPath(
  new URL("../fixtures/wandb-protocol/wandb-0.30-requests.json", import.meta.url),
);
const recorded = JSON.parse(readFileSync(FIXTURE, "utf8")) as RecordedRequest[];
const RUN = "wbclient1";
const PG = postgresAvailability("W&B run files on PostgreSQL");
const noPg = skipBecause(!PG.found, "W&B run files on PostgreSQL", PG.reason);

type App = ReturnType<typeof createApp>["app"];

/** Replays the recording (auth off); upload paths take the tokens CreateRunFiles answered. */
async function replay(app: App): Promise<number[]> {
  const uploads = new Map<string, string>();
  const statuses: number[] = [];
  for (const r of recorded) {
    let path = r.path;
    if (path.includes("token={token}")) {
      const name = decodeURIComponent(path.slice(path.indexOf("/upload/") + 8, path.indexOf("?")));
      path = uploads.get(name) ?? path;
    }
    const headers: Record<string, string> = r.contentType ? { "content-type": r.contentType } : {};
    const body =
      r.method === "GET" ? undefined : r.base64 ? Buffer.from(r.base64, "base64") : r.body;
    const res = await app.request(`http://127.0.0.1${path}`, { method: r.method, headers, body });
    const text = await res.text();
    statuses.push(res.status);
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

describe.skipIf(noPg)("W&B run files with a PostgreSQL store", () => {
  let store: PostgresStore;
  let filesDir: string;
  beforeAll(async () => {
    store = await freshPostgresStore();
    filesDir = mkdtempSync(join(tmpdir(), "amltk-wandb-pg-files-"));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(filesDir, { recursive: true, force: true });
  });

  it("keeps the uploaded image, config and summary files in filesDir and serves them", async () => {
    const { app, closeStreams } = createApp({ store, auth: false, filesDir });
    try {
      const statuses = await replay(app);
      expect(statuses.filter((s) => s >= 400)).toEqual([]);
      const runDir = join(filesDir, RUN);
      expect(existsSync(join(runDir, "config.yaml"))).toBe(true);
      expect(existsSync(join(runDir, "wandb-summary.json"))).toBe(true);
      const images = readdirSync(join(runDir, "media", "images"));
      expect(images).toHaveLength(1);
      const png = readFileSync(join(runDir, "media", "images", images[0]!));
      expect(png.subarray(1, 4).toString()).toBe("PNG");
      const raw = await app.request(
        `http://127.0.0.1/files/wb-team/wb-proj/${RUN}/raw/media/images/${images[0]}`,
      );
      expect(Buffer.from(await raw.arrayBuffer())).toEqual(png);
      expect((await store.readPoints({ runId: RUN, key: "loss" })).length).toBeGreaterThan(0);
    } finally {
      closeStreams();
    }
  });
});
