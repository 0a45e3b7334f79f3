import { createHash } from "node:crypto";
import { expect, it } from "vitest";
import { rowsToBatch } from "../history-batch.js";
import { decodePack, encodePack } from "./history-pack.js";
import { trialRows } from "./sqlite.test-helpers.js";

// Packs are stored (runs.history_pack): their bytes are a file format. This digest was taken
// from the first encoder (Buffer write*LE calls); a faster encoder must write the same bytes.
it("writes the stored pack format byte for byte, from one batch or several", () => {
  const digest = (p: Buffer | undefined) => createHash("sha256").update(p!).digest("hex");
  const whole = encodePack([rowsToBatch(trialRows())]);
  const split = encodePack([
    rowsToBatch(trialRows().slice(0, 4)),
    rowsToBatch(trialRows().slice(4)),
  ]);
  expect(whole?.length).toBe(492);
  expect(digest(whole)).toBe("9c283d63dce276cdf589395fd87108f3a6254f0b5c8699d1c056fb845228bf09");
  expect(digest(split)).toBe(digest(whole));
});

it("reads back every value of a pack, -0 and non-finite ones bit for bit", () => {
  const back = decodePack(encodePack([rowsToBatch(trialRows())])!);
  const loss = back.columns.get("loss")!;
  expect(Object.is(loss.values[1], -0)).toBe(true);
  expect([...loss.values.slice(2, 4)]).toEqual([Number.NaN, Number.POSITIVE_INFINITY]);
  expect([...back.steps]).toEqual([0, 1, 2, 3, 7, 8, 20]);
  expect(back.others.map((o) => o.key)).toEqual(["mixed", "status", "note", "z"]);
});
