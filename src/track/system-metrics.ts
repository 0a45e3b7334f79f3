/**
 * Background system metrics, logged under `system/`: process CPU % and RSS, system memory, and
 * per-GPU utilisation/memory/temperature/power from `nvidia-smi` when it is on PATH (the first
 * failed call turns GPU sampling off for the process, silently: most machines have none).
 */
import { freemem, totalmem } from "node:os";

/** Fields asked of nvidia-smi, in order, and the key suffix each becomes (W&B's names). */
const GPU_FIELDS: readonly [query: string, key: string][] = [
  ["index", ""],
  ["utilization.gpu", "gpu"],
  ["utilization.memory", "memory"],
  ["memory.used", "memoryAllocatedMiB"],
  ["memory.total", "memoryTotalMiB"],
  ["temperature.gpu", "temp"],
  ["power.draw", "powerWatts"],
];

/**
 * Parses `nvidia-smi --query-gpu=<GPU_FIELDS> --format=csv,noheader,nounits` output into
 * `system/gpu.<index>.<name>` values; "[N/A]" and other non-numbers are skipped.
 */
export function parseNvidiaSmi(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length < GPU_FIELDS.length) continue;
    const index = Number(cells[0]);
    if (!Number.isInteger(index)) continue;
    for (let i = 1; i < GPU_FIELDS.length; i++) {
      const v = Number(cells[i]);
      if (cells[i] !== "" && Number.isFinite(v)) out[`system/gpu.${index}.${GPU_FIELDS[i][1]}`] = v;
    }
    const used = out[`system/gpu.${index}.memoryAllocatedMiB`];
    const total = out[`system/gpu.${index}.memoryTotalMiB`];
    if (used !== undefined && total)
      out[`system/gpu.${index}.memoryAllocated`] = (100 * used) / total;
  }
  return out;
}

let gpuAbsent = false;

/** Runs nvidia-smi (from PATH unless `command` is given); resolves {} when it is missing or fails. */
export function queryGpus(
  command = "nvidia-smi",
  timeoutMs = 5_000,
): Promise<Record<string, number>> {
  if (gpuAbsent && command === "nvidia-smi") return Promise.resolve({});
  const args = [
    `--query-gpu=${GPU_FIELDS.map((f) => f[0]).join(",")}`,
    "--format=csv,noheader,nounits",
  ];
  // node:child_process is loaded on the first sample, not at import: it is a visible share of
  // a short script's cold start, and most runs end before their first sample.
  return import("node:child_process").then(
    ({ execFile }) =>
      new Promise((resolve) => {
        execFile(command, args, { timeout: timeoutMs, windowsHide: true }, (err, stdout) => {
          if (err) {
            if (command === "nvidia-smi") gpuAbsent = true;
            resolve({});
            return;
          }
          resolve(parseNvidiaSmi(String(stdout)));
        });
      }),
  );
}

/**
 * Samples the process and the machine; CPU % is over the time since the previous sample (the
 * first one: since the process started). Nothing is read at construction: every run makes a
 * sampler, most short runs never sample, and `process.cpuUsage()` is a system call.
 */
export class SystemSampler {
  private lastCpu: NodeJS.CpuUsage | undefined;
  private lastAt = 0;

  constructor(private readonly gpuCommand: string | null = "nvidia-smi") {}

  /** CPU, RSS and system memory, synchronously. */
  sampleProcess(): Record<string, number> {
    const now = performance.now();
    // performance.now() counts from the process's start, the origin of process.cpuUsage().
    const cpu = process.cpuUsage(this.lastCpu);
    const wallUs = (now - this.lastAt) * 1000;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const total = totalmem();
    return {
      "system/cpu": wallUs > 0 ? (100 * (cpu.user + cpu.system)) / wallUs : 0,
      "system/rss_mib": process.memoryUsage.rss() / 1048576,
      "system/memory": (100 * (total - freemem())) / total,
      "system/memory_available_mib": freemem() / 1048576,
    };
  }

  /** Everything, GPUs included when nvidia-smi answers. */
  async sample(): Promise<Record<string, number>> {
    const values = this.sampleProcess();
    if (this.gpuCommand !== null) Object.assign(values, await queryGpus(this.gpuCommand));
    return values;
  }
}
