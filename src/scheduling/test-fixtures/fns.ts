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
