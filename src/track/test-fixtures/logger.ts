/**
 * Child process for the cross-process tracker tests.
 * `logger.ts <dir> <runId> bulk <points>`: logs `points` rows, finishes, prints "done <runId>".
 * `logger.ts <dir> <runId> forever`: logs until killed; prints "flushed <step>" each time the
 * background flusher has persisted a higher step, so the parent knows what must survive a kill.
 */
import { init } from "../init.js";

const [dir, id, mode, pointsArg] = process.argv.slice(2);
const run = await init({ dir, id, project: "mp", systemInterval: 0 });

if (mode === "bulk") {
  const points = Number(pointsArg);
  for (let i = 0; i < points; i++) {
    run.log({ loss: i / points, i });
    // Yield now and then so the background flusher interleaves with other processes' writes.
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await run.finish();
  console.log(`done ${id}`);
} else {
  let reported = -1;
  let i = 0;
  for (;;) {
    for (let k = 0; k < 50; k++, i++) run.log({ x: i });
    const flushed = run.flushedStep;
    if (flushed > reported) {
      reported = flushed;
      console.log(`flushed ${flushed}`);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}
