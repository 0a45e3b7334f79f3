/** Fixture functions imported by worker processes in tests. */
import { importable } from "../executors/executor.js";

export const square = importable((x: number) => x * x, import.meta.url, "square");

export const fail = importable(
  (msg: string) => {
    throw new Error(msg);
  },
  import.meta.url,
  "fail",
);

export const pid = importable(() => process.pid, import.meta.url, "pid");

export const hang = importable(() => new Promise<never>(() => {}), import.meta.url, "hang");

/** Starts a long-running grandchild, reports its pid through a file, then hangs. */
export const spawnAndHang = importable(
  async (pidFile: string) => {
    const { spawn } = await import("node:child_process");
    const { writeFileSync } = await import("node:fs");
    const c = spawn("sleep", ["1000"], { stdio: "ignore" });
    writeFileSync(pidFile, String(c.pid));
    return new Promise<never>(() => {});
  },
  import.meta.url,
  "spawnAndHang",
);
