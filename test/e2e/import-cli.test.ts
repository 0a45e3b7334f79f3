import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = join(root, "bin", "amltk.js");
const fixtures = join(root, "test", "fixtures", "wandb-0.30", "wandb");
let dir: string;

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

// The CLI is the built bin (npm test builds first), writing a real store folder.
async function amltk(...args: string[]): Promise<Out> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "amltk-import-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("amltk import wandb", () => {
  it("imports every run of a wandb/ folder, then shows it with amltk runs", async () => {
    const store = join(dir, "store");
    const out = await amltk("import", "wandb", fixtures, "--dir", store);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      "imported seedrun0 (trial-0, project amltk-test2): 10 steps, finished",
    );
    expect(out.stdout).toContain("imported rulesrun (rules, project rules): 4 steps, failed");
    expect(out.stdout).toContain("imported longrun0 (long, project long): 5000 steps, finished");
    expect(out.stdout).toContain(`imported 3 of 3 W&B runs into ${store}`);

    const shown = JSON.parse((await amltk("runs", "show", "seedrun0", "--dir", store)).stdout);
    expect(shown).toMatchObject({
      config: { x: 1, y: 2, z: 3 },
      summary: { cost: 5, loss: -666 },
      tags: ["positive"],
      group: "sweep-1",
      exitCode: 0,
      historyKeys: { loss: 10 },
    });
  });

  it("skips runs already imported, and replaces them with --force", async () => {
    const store = join(dir, "store");
    const runDir = join(fixtures, "offline-run-20261201_001234-seedrun0");
    const again = await amltk("import", "wandb", runDir, "--dir", store);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("skipped seedrun0: already in the store");
    const forced = await amltk("import", "wandb", runDir, "--dir", store, "--force");
    expect(forced.stdout).toContain("replaced seedrun0");
    const list = (await amltk("runs", "list", "--dir", store)).stdout;
    expect(list.match(/seedrun0/g)).toHaveLength(1);
  });

  it("exits 1 naming the file and offset of a damaged log, and keeps what came before", async () => {
    const store = join(dir, "damaged");
    const file = join(dir, "run-seedrun0.wandb");
    copyFileSync(
      join(fixtures, "offline-run-20261201_001234-seedrun0", "run-seedrun0.wandb"),
      file,
    );
    const bytes = readFileSync(file);
    bytes[2000] = bytes[2000]! ^ 0xff;
    writeFileSync(file, bytes);

    const out = await amltk("import", "wandb", file, "--dir", store);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      new RegExp(`${file}: CRC mismatch .* at byte \\d+; kept the \\d+ steps`),
    );
    const shown = JSON.parse((await amltk("runs", "show", "seedrun0", "--dir", store)).stdout);
    expect(shown.state).toBe("crashed");
    expect(shown.historyKeys.loss).toBeGreaterThan(0);
  });

  it("names a path that holds no W&B run", async () => {
    const out = await amltk("import", "wandb", join(dir, "nowhere"), "--dir", join(dir, "x"));
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`no such file or folder: ${join(dir, "nowhere")}`);
  });

  it("offers the same import as a library from the built amltk/track entry", async () => {
    const track = await import(join(root, "dist", "public", "track.js"));
    const server = await import(join(root, "dist", "public", "server.js"));
    const store = await server.SqliteStore.open(join(dir, "lib"));
    try {
      const [file] = await track.findWandbRunFiles([
        join(fixtures, "offline-run-20261201_001234-rulesrun"),
      ]);
      const res = await track.importWandbRun(file, store);
      expect(res).toMatchObject({
        runId: "rulesrun",
        status: "imported",
        steps: 4,
        state: "failed",
      });
      const kinds: string[] = [];
      for await (const rec of track.readWandbLog(file)) kinds.push(rec.kind);
      expect(kinds.filter((k) => k === "history")).toHaveLength(4);
      expect(kinds.at(-1)).toBe("exit");
    } finally {
      await store.close();
    }
  });

  it("imports the runs that used to lose data, once each: big steps, a resumed run, media", async () => {
    const store = join(dir, "edge");
    const edge = join(root, "test", "fixtures", "wandb-0.30-edge");
    const out = await amltk("import", "wandb", edge, "--dir", store);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("imported bigstep0 (big, project edge): 2 steps, finished");
    expect(out.stdout).toMatch(/2 rows the store cannot hold dropped \(a step above 2\^53 - 1/);
    expect(out.stdout).toContain("imported resumed0 (resumed, project edge): 10 steps, finished");
    expect(out.stdout).toContain("merged 2 parts of a resumed run");
    expect(out.stdout).toContain("with 13 system samples, 3 console lines, 2 files");
    expect(out.stdout).toContain(`imported 4 of 4 W&B runs into ${store}`);

    // Nothing half-done stays behind to be skipped: a second import finds whole runs.
    const again = await amltk("import", "wandb", edge, "--dir", store);
    expect(again.stdout).toContain("skipped bigstep0: already in the store");
    const shown = JSON.parse((await amltk("runs", "show", "renamed0", "--dir", store)).stdout);
    expect(shown).toMatchObject({ name: "second-name", tags: ["t2", "t3"], state: "finished" });
  });

  it("merges a resumed run's second folder imported by a later command, once; refuses an earlier one", async () => {
    const wandb = join(root, "test", "fixtures", "wandb-0.30-edge", "wandb");
    const first = join(wandb, "offline-run-20261204_231547-resumed0");
    const second = join(wandb, "offline-run-20261204_231548-resumed0");
    const store = join(dir, "parts");
    expect((await amltk("import", "wandb", first, "--dir", store)).code).toBe(0);
    const merged = await amltk("import", "wandb", second, "--dir", store);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toContain("merged resumed0 (resumed, project edge): 5 steps, finished");
    const again = await amltk("import", "wandb", wandb, "--dir", store);
    expect(again.stdout).toContain("skipped resumed0: already in the store");
    const shown = JSON.parse((await amltk("runs", "show", "resumed0", "--dir", store)).stdout);
    expect(shown).toMatchObject({ state: "finished", nextStep: 10 });

    const reversed = join(dir, "parts-reversed");
    expect((await amltk("import", "wandb", second, "--dir", reversed)).code).toBe(0);
    const refused = await amltk("import", "wandb", first, "--dir", reversed);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("offline-run-20261204_231547-resumed0");
    expect(refused.stderr).toContain("--force");
  });

  it("exports a run with amltk export wandb that imports back whole", async () => {
    const store = join(dir, "store");
    const out = join(dir, "exported");
    const exp = await amltk(
      "export",
      "wandb",
      "rulesrun",
      "seedrun0",
      "--out",
      out,
      "--dir",
      store,
    );
    expect(exp.code).toBe(0);
    expect(exp.stdout).toMatch(/exported rulesrun: 4 steps, 0 system samples, 0 console lines/);
    const back = join(dir, "reimported");
    const imp = await amltk("import", "wandb", out, "--dir", back);
    expect(imp.stdout).toContain("imported rulesrun (rules, project rules): 4 steps, failed");
    expect(imp.stdout).toContain(
      "imported seedrun0 (trial-0, project amltk-test2): 10 steps, finished",
    );
    const a = JSON.parse(
      (await amltk("runs", "export", "rulesrun", "--format", "json", "--dir", store)).stdout,
    );
    const b = JSON.parse(
      (await amltk("runs", "export", "rulesrun", "--format", "json", "--dir", back)).stdout,
    );
    expect(b).toEqual(a);
    expect(JSON.stringify(b)).toContain('{"$amltk_num":"NaN"}');
  });
});
