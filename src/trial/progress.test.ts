import { afterEach, describe, expect, it, vi } from "vitest";
import { formatDuration, formatNumber, Progress } from "./progress.js";

/** A stream that keeps what was written; `clock` is advanced by hand, so output is exact. */
function setup(
  options: { total?: number; tty?: boolean; lineEveryMs?: number; columns?: number } = {},
) {
  const chunks: string[] = [];
  const clock = { t: 1_000 };
  const progress = new Progress({
    ...options,
    stream: { write: (c: string) => chunks.push(c), columns: options.columns ?? 200 },
    now: () => clock.t,
  });
  return { chunks, clock, progress };
}

describe("Progress (plain lines, not a TTY)", () => {
  it("prints one line per trial with counts, best cost, rate and ETA", () => {
    const { chunks, clock, progress } = setup({ total: 4, lineEveryMs: 0 });
    clock.t += 500;
    progress.report({ status: "success", values: { cost: 5 } });
    clock.t += 500;
    progress.report({ status: "fail", values: {} });
    clock.t += 1000;
    progress.record(true, 2.5);
    clock.t += 2000;
    progress.report({ status: "crashed", values: { cost: 1 } });
    progress.finish();
    expect(chunks).toEqual([
      "[1/4] done 1 failed 0 | best cost 5 | 2 trials/s | ETA 2s\n",
      "[2/4] done 1 failed 1 | best cost 5 | 2 trials/s | ETA 1s\n",
      "[3/4] done 2 failed 1 | best cost 2.5 | 1.5 trials/s | ETA 1s\n",
      // A failed trial's cost never becomes the best.
      "[4/4] done 2 failed 2 | best cost 2.5 | 1 trials/s | ETA 0s\n",
    ]);
  });

  it("counts pruned trials apart from failed ones, shown once there are some", () => {
    const { chunks, clock, progress } = setup({ total: 3, lineEveryMs: 0 });
    clock.t += 1000;
    progress.report({ status: "fail", values: {}, exception: "Pruned at step 2" });
    clock.t += 1000;
    progress.report({ status: "fail", values: {}, exception: "out of memory" });
    clock.t += 1000;
    progress.report({ status: "success", values: { cost: 1 } });
    expect(chunks[0]).toBe("[1/3] done 0 failed 0 pruned 1 | best cost - | 1 trials/s | ETA 2s\n");
    expect(chunks[2]).toMatch(/^\[3\/3\] done 1 failed 1 pruned 1 \| best cost 1 \|/);
    expect(progress.state()).toMatchObject({ done: 1, failed: 1, pruned: 1 });
  });

  it("throttles lines but always prints the first, the last and on finish", () => {
    const { chunks, clock, progress } = setup({ total: 5 });
    for (let i = 0; i < 4; i++) {
      clock.t += 100;
      progress.record(true, 10 - i);
    }
    expect(chunks).toEqual(["[1/5] done 1 failed 0 | best cost 10 | 10 trials/s | ETA 0s\n"]);
    clock.t += 100;
    progress.record(true, 1);
    expect(chunks).toHaveLength(2);
    expect(chunks[1]).toMatch(/^\[5\/5\] done 5 failed 0 \| best cost 1 \|/);
    progress.finish(); // nothing new to show
    expect(chunks).toHaveLength(2);
  });

  it("without a total shows a count and no ETA; maximize keeps the highest", () => {
    const chunks: string[] = [];
    const progress = new Progress({
      minimize: false,
      metric: "accuracy",
      lineEveryMs: 0,
      stream: { write: (c: string) => chunks.push(c) },
      now: () => 0,
    });
    progress.report({ status: "success", values: { accuracy: 0.5 } });
    progress.report({ status: "success", values: { accuracy: 0.75 } });
    expect(chunks[1]).toBe("[2] done 2 failed 0 | best accuracy 0.75 | 2000 trials/s\n");
  });

  it("rejects a bad total by name", () => {
    expect(() => new Progress({ total: -1 })).toThrow(
      /total must be a non-negative integer, got -1/,
    );
  });
});

describe("Progress (TTY)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("redraws one line in place, cut to the terminal width, and ends with a newline", () => {
    const { chunks, clock, progress } = setup({ total: 2, tty: true, columns: 40 });
    expect(chunks).toEqual(["\r\x1b[K[0/2] done 0 failed 0 | best cost - | 0"]);
    clock.t += 1000;
    progress.record(true, 3);
    clock.t += 1000;
    progress.record(true, 1);
    progress.finish();
    expect(chunks.slice(0, 3).every((c) => c.startsWith("\r\x1b[K"))).toBe(true);
    expect(chunks[2]).toBe("\r\x1b[K[2/2] done 2 failed 0 | best cost 1 | 1");
    expect(chunks.at(-1)).toBe("\n");
  });

  it("ticks between reports so rate and ETA stay live, and stops ticking at finish", () => {
    vi.useFakeTimers();
    const { chunks, clock, progress } = setup({ total: 4, tty: true });
    clock.t += 1000;
    progress.record(true, 3);
    const before = chunks.length;
    clock.t += 3000; // a long trial: no report for a while
    vi.advanceTimersByTime(1000);
    expect(chunks.length).toBe(before + 1);
    expect(chunks.at(-1)).toContain("[1/4] done 1 failed 0 | best cost 3 | 0.25 trials/s");
    progress.finish();
    const after = chunks.length;
    vi.advanceTimersByTime(5000);
    expect(chunks.length).toBe(after);
  });
});

describe("formatting", () => {
  it("formats numbers and durations", () => {
    expect(formatNumber(3)).toBe("3");
    expect(formatNumber(1 / 3)).toBe("0.3333");
    expect(formatDuration(5.4)).toBe("5s");
    expect(formatDuration(184)).toBe("3m04s");
    expect(formatDuration(3720)).toBe("1h02m");
  });
});
