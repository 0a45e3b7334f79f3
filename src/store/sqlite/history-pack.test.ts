import { createHash } from "node:crypto";
import { expect, it } from "vitest";
import { rowsToBatch } from "../history-batch.js";
import type { HistoryRow } from "../types.js";
import { decodePack, encodePack } from "./history-pack.js";

/** Every kind of value: -0, NaN, ±Infinity, keys in two alphabets, JSON values, gapped steps. */
function rows(): HistoryRow[] {
  const steps = [0, 1, 2, 3, 7, 8, 20];
  return steps.map((step, i) => ({
    step,
    runtime: i / 10,
    timestamp: 1_700_000_000 + i / 7,
    values: {
      loss: [1.5, -0, Number.NaN, Number.POSITIVE_INFINITY, 0.25, Number.NEGATIVE_INFINITY, 3][i],
      ...(i % 2 === 0 ? { "acc/top1": i * 0.1, "ü/ключ": -i } : {}),
      ...(i === 6 ? { status: "success", note: { a: [1, null, Number.NaN] }, z: true } : {}),
      ...(i === 3 ? { mixed: "three" } : i === 4 ? { mixed: 4 } : {}),
    } as HistoryRow["values"],
  }));
}

// Packs are stored (runs.history_pack): their bytes are a file format. This digest was taken
// from the first encoder (Buffer write*LE calls); a faster encoder must write the same bytes.
it("writes the stored pack format byte for byte, from one batch or several", () => {
  const digest = (p: Buffer | undefined) => createHash("sha256").update(p!).digest("hex");
  const whole = encodePack([rowsToBatch(rows())]);
  const split = encodePack([rowsToBatch(rows().slice(0, 4)), rowsToBatch(rows().slice(4))]);
  expect(whole?.length).toBe(492);
  expect(digest(whole)).toBe("9c283d63dce276cdf589395fd87108f3a6254f0b5c8699d1c056fb845228bf09");
  expect(digest(split)).toBe(digest(whole));
});

it("reads back every value of a pack, -0 and non-finite ones bit for bit", () => {
  const back = decodePack(encodePack([rowsToBatch(rows())])!);
  const loss = back.columns.get("loss")!;
  expect(Object.is(loss.values[1], -0)).toBe(true);
  expect([...loss.values.slice(2, 4)]).toEqual([Number.NaN, Number.POSITIVE_INFINITY]);
  expect([...back.steps]).toEqual([0, 1, 2, 3, 7, 8, 20]);
  expect(back.others.map((o) => o.key)).toEqual(["mixed", "status", "note", "z"]);
});
