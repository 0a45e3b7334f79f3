/**
 * "__proto__" and "constructor" are ordinary keys of a run's summary and config: stored as
 * data, read back as data, and never able to change an object's prototype (issue 10). Before,
 * resuming a run whose stored summary held "__proto__" replaced the summary's prototype and
 * dropped the key at the next write.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/index.js";
import { init } from "./init.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Keys as a JSON body or a stored record brings them: own properties named "__proto__". */
/** The own "__proto__" property's value (reading `.__proto__` would look like the accessor). */
const protoKey = (o: object) => Object.getOwnPropertyDescriptor(o, "__proto__")?.value;

const hostile = () =>
  JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": 1}, "loss": 1}');

it("resume keeps a stored __proto__ summary key as data and writes it back", async () => {
  const dir = mkdtempSync(join(tmpdir(), "amltk-proto-"));
  dirs.push(dir);
  const store = await SqliteStore.open(dir);
  store.createRunSync({ id: "p1", project: "p", name: "p1", createdAt: Date.now() });
  store.updateRunSync("p1", { summary: hostile(), config: hostile(), state: "finished" });
  await store.close();

  const run = await init({ dir, project: "p", id: "p1", resume: "must", systemInterval: 0 });
  expect(Object.hasOwn(run.summary, "__proto__")).toBe(true);
  expect(protoKey(run.summary)).toEqual({ polluted: true });
  expect((run.summary as { polluted?: unknown }).polluted).toBeUndefined();
  expect(run.config.constructor).toEqual({ prototype: 1 });
  expect(({} as { polluted?: unknown }).polluted).toBeUndefined();

  run.summary.extra = 2;
  run.log({ constructor: 3 });
  run.config.update(JSON.parse('{"__proto__": {"viaUpdate": true}}'), { allowValChange: true });
  expect(Object.getPrototypeOf(run.config)).toBe(null);
  await run.finish();

  const again = await SqliteStore.open(dir);
  try {
    const rec = (await again.getRun("p1"))!;
    expect(Object.hasOwn(rec.summary, "__proto__")).toBe(true);
    expect(protoKey(rec.summary)).toEqual({ polluted: true });
    expect(rec.summary.constructor).toBe(3);
    expect(rec.summary.extra).toBe(2);
    expect(Object.hasOwn(rec.config, "__proto__")).toBe(true);
    expect(protoKey(rec.config)).toEqual({ viaUpdate: true });
    expect(rec.config.constructor).toEqual({ prototype: 1 });
  } finally {
    await again.close();
  }
});
