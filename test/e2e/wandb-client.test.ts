/**
 * The real wandb 0.30 client (Python) logs to our server through the W&B protocol: init,
 * log, define_metric, config.update, summary, console, system metrics, an image, finish;
 * then a second process resumes the run (`resume="must"`) and finishes it with exit code 3.
 * Our API must hold every point, the config, summary, console, files and exit code.
 * Skipped, with the reason printed, where no Python with wandb is found (Python is optional).
 *
 * `AMLTK_RECORD_WANDB=1` also records the client's requests (through a proxy) into
 * test/fixtures/wandb-protocol/wandb-0.30-requests.json, which wandb-client-replay.test.ts
 * replays without Python.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeys } from "../../src/server/auth.js";
import { createServer, type RunningServer } from "../../src/server/create-server.js";
import { SqliteStore } from "../../src/store/sqlite/index.js";
import { type RecordedRequest, startRecorder } from "../fixtures/wandb-protocol/recorder.js";
import {
  CLIENT_SCRIPT,
  hasWandb,
  NO_WANDB,
  runPython,
} from "../fixtures/wandb-protocol/wandb-python.js";
import { skipBecause } from "../skip.js";

const FIXTURE = fileURLToPath(
  new URL("../fixtures/wandb-protocol/wandb-0.30-requests.json", import.meta.url),
);
const STEPS = 40;
const RUN = "wbclient1";
const record = process.env.AMLTK_RECORD_WANDB === "1";

const skip = skipBecause(!hasWandb(), "the real wandb client on our W&B routes", NO_WANDB);

describe.skipIf(skip)("the real wandb client logs to our server", () => {
  let dir: string;
  let store: SqliteStore;
  let server: RunningServer;
  let key: string;
  const recorded: RecordedRequest[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "amltk-wandb-client-"));
    store = await SqliteStore.open(join(dir, "store"));
    key = new ApiKeys(store.db).create("wandb", { projects: ["wb-proj"] }).key;
    server = await createServer({ store });
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
    if (record && recorded.length > 0)
      writeFileSync(FIXTURE, `${JSON.stringify(recorded, null, 1)}\n`);
    rmSync(dir, { recursive: true, force: true });
  });

  async function runPart(part: 1 | 2): Promise<{ artifact_error: string | null }> {
    const report = join(dir, `report-${part}.json`);
    const proxy = record ? await startRecorder(server.url) : undefined;
    try {
      const r = await runPython(CLIENT_SCRIPT, {
        WANDB_BASE_URL: proxy?.url ?? server.url,
        WANDB_API_KEY: key,
        WANDB_DIR: dir,
        RUN_ID: RUN,
        PART: String(part),
        STEPS: String(STEPS),
        REPORT: report,
      });
      expect(r.code, r.output).toBe(0);
      return JSON.parse(readFileSync(report, "utf8"));
    } finally {
      if (proxy) {
        recorded.push(...proxy.requests);
        await proxy.close();
      }
    }
  }

  it("init, log, config, summary, console, system metrics, an image, a refused artifact, finish", async () => {
    const report = await runPart(1);
    expect(report.artifact_error).toMatch(/artifacts are not supported by this amltk server/);
    const run = await store.getRun(RUN);
    expect(run).toMatchObject({
      project: "wb-proj",
      entity: "wb-team",
      name: "first name",
      notes: "some notes",
      tags: ["a", "b"],
      group: "grp",
      jobType: "train",
      state: "finished",
      exitCode: 0,
      config: { lr: 0.01, opt: { name: "adam", betas: [0.9, 0.99] }, batch: 32 },
    });
    expect(run!.summary).toMatchObject({
      best: 0.75,
      loss: { min: 1 / STEPS },
      acc: (STEPS - 1) * 0.01,
    });
    const loss = await store.readPoints({ runId: RUN, key: "loss" });
    expect(loss.map((p) => p.step)).toEqual([...Array(STEPS).keys()]);
    expect(loss.map((p) => p.value)).toEqual([...Array(STEPS).keys()].map((i) => 1 / (i + 1)));
    const weird = await store.readPoints({ runId: RUN, key: "weird" });
    expect(weird.map((p) => p.value)).toEqual([Number.NaN]);
    const image = await store.readPoints({ runId: RUN, key: "sample" });
    expect(image[0]?.value).toMatchObject({ _type: "image-file", format: "png" });
    const console = await store.readConsole(RUN);
    expect(console.map((l) => [l.stream, l.text])).toEqual([
      ["stdout", "stdout line part 1"],
      ["stderr", "stderr line part 1"],
    ]);
    expect((await store.systemKeys!(RUN)).some((k) => k.startsWith("system."))).toBe(true);
    const files = (await (await fetch(`${server.url}/files/wb-team/wb-proj/${RUN}`)).json()) as {
      files: { name: string; size: number }[];
    };
    const names = files.files.map((f) => f.name);
    expect(names).toContain("wandb-metadata.json");
    expect(names.some((n) => n.startsWith("media/images/") && n.endsWith(".png"))).toBe(true);
  }, 180_000);

  it("resume='must' continues the run's steps and closes it with the exit code", async () => {
    await runPart(2);
    const run = await store.getRun(RUN);
    expect(run).toMatchObject({ state: "failed", exitCode: 3, name: "first name" });
    const loss = await store.readPoints({ runId: RUN, key: "loss" });
    // part 1 logged steps 0..STEPS-1 and the image at STEPS; part 2 goes on after it
    const part2 = [...Array(STEPS).keys()].map((i) => STEPS + 1 + i);
    expect(loss.map((p) => p.step)).toEqual([...Array(STEPS).keys(), ...part2]);
    const console = await store.readConsole(RUN);
    expect(console.map((l) => l.text)).toEqual([
      "stdout line part 1",
      "stderr line part 1",
      "stdout line part 2",
      "stderr line part 2",
    ]);
  }, 180_000);
});
