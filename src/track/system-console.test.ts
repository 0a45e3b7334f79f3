/** System metrics (a fake nvidia-smi on PATH) and console capture, through the SQLite store. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, expect, it, vi } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import { init } from "./init.js";
import { parseNvidiaSmi, queryGpus, SystemSampler } from "./system-metrics.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "amltk-sys-"));
  dirs.push(d);
  return d;
}

it("parses nvidia-smi csv, skipping [N/A]", () => {
  const text = "0, 45, 20, 1024, 81559, 40, 120.5\n1, [N/A], 3, 2048, 4096, 51, [N/A]\n";
  expect(parseNvidiaSmi(text)).toEqual({
    "system/gpu.0.gpu": 45,
    "system/gpu.0.memory": 20,
    "system/gpu.0.memoryAllocatedMiB": 1024,
    "system/gpu.0.memoryTotalMiB": 81559,
    "system/gpu.0.memoryAllocated": (100 * 1024) / 81559,
    "system/gpu.0.temp": 40,
    "system/gpu.0.powerWatts": 120.5,
    "system/gpu.1.memory": 3,
    "system/gpu.1.memoryAllocatedMiB": 2048,
    "system/gpu.1.memoryTotalMiB": 4096,
    "system/gpu.1.memoryAllocated": 50,
    "system/gpu.1.temp": 51,
  });
  expect(parseNvidiaSmi("garbage\n")).toEqual({});
});

it("a missing nvidia-smi yields no GPU values and no error", async () => {
  expect(await queryGpus(join(tmp(), "no-such-nvidia-smi"))).toEqual({});
  const values = await new SystemSampler(join(tmp(), "none")).sample();
  expect(Object.keys(values).sort()).toEqual([
    "system/cpu",
    "system/memory",
    "system/memory_available_mib",
    "system/rss_mib",
  ]);
  expect(values["system/rss_mib"]).toBeGreaterThan(1);
});

it("samples system/ metrics in the background, GPUs from nvidia-smi on PATH", async () => {
  const bin = tmp();
  const fake = join(bin, "nvidia-smi");
  writeFileSync(fake, "#!/bin/sh\necho '0, 77, 10, 500, 1000, 60, 99'\n");
  chmodSync(fake, 0o755);
  const oldPath = process.env.PATH;
  process.env.PATH = `${bin}${delimiter}${oldPath}`;
  const dir = tmp();
  try {
    const run = await init({ dir, systemInterval: 20, reinit: "create_new" });
    const store = await SqliteStore.open(dir);
    const read = async (key: string) =>
      (
        await store.readSeries({
          runIds: [run.id],
          keys: [key],
          x: "time",
          buckets: 1,
          source: "system",
        })
      )[0].buckets;
    await vi.waitFor(async () => expect(await read("system/gpu.0.gpu")).toHaveLength(1), {
      timeout: 20_000,
      interval: 20,
    });
    expect((await read("system/gpu.0.gpu"))[0].last).toBe(77);
    expect((await read("system/gpu.0.memoryAllocated"))[0].last).toBe(50);
    expect((await read("system/rss_mib"))[0].last).toBeGreaterThan(1);
    await run.finish();
    await store.close();
  } finally {
    process.env.PATH = oldPath;
  }
});

it("captures stdout/stderr lines into the run and restores the streams at finish", async () => {
  const dir = tmp();
  const outWrite = process.stdout.write;
  const errWrite = process.stderr.write;
  const run = await init({ dir, systemInterval: 0, console: "capture", reinit: "create_new" });
  expect(process.stdout.write).not.toBe(outWrite);
  process.stdout.write("hello\nwor");
  process.stdout.write(Buffer.from("ld\r\n"));
  process.stderr.write("oops\n");
  process.stdout.write("no newline at the end");
  await run.finish();
  expect(process.stdout.write).toBe(outWrite);
  expect(process.stderr.write).toBe(errWrite);
  process.stdout.write("after finish\n");
  const store = await SqliteStore.open(dir);
  const lines = await store.readConsole(run.id);
  expect(lines.map((l) => [l.stream, l.text])).toEqual([
    ["stdout", "hello"],
    ["stdout", "world"],
    ["stderr", "oops"],
    ["stdout", "no newline at the end"],
  ]);
  await store.close();
  await expect(init({ dir, console: "loud" as "off" })).rejects.toThrow(/console must be/);
});
