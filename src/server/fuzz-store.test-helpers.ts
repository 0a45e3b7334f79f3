/**
 * Store-side pieces of the server fuzz test (src/server/fuzz.test.ts): a fingerprint of
 * everything a fuzzed write can touch, per store backend, and a valid batch whose every value is
 * read back and compared with what was sent.
 */
import type { Rng } from "../optim/rng.js";
import { encodeJson } from "../shared/json-numbers.js";
import { PostgresStore } from "../store/postgres/index.js";
import { SqliteStore } from "../store/sqlite/index.js";
import type { Store } from "../store/types.js";
import { MemoryStore } from "../track/memory-store.js";
import { type FuzzCase, pick } from "./fuzz-gen.test-helpers.js";
import { T0 } from "./server.test-helpers.js";

/** What the fuzz test's `send` answers. */
export interface Sent {
  status: number;
  body: { error?: { code?: unknown; message?: unknown; field?: unknown } } | undefined;
  text: string;
}

/**
 * Everything a fuzzed write can touch, read cheaply (indexed by run) so thousands of requests
 * stay fast: the number of runs and of ledger entries, every field of the runs in project "fz"
 * (all fuzzed writes aim there), and per such run its history, system samples, console lines
 * and ledger entries. Equal strings = nothing changed.
 */
export async function fingerprint(store: Store): Promise<string> {
  if (store instanceof SqliteStore) return sqliteFingerprint(store);
  if (store instanceof MemoryStore) return memoryFingerprint(store);
  if (store instanceof PostgresStore) return postgresFingerprint(store);
  throw new Error(`no fuzz fingerprint for a ${store.kind} store`);
}

/** For PostgreSQL, the same reads as for SQLite (chunk counts show a chunk written in vain). */
async function postgresFingerprint(store: PostgresStore): Promise<string> {
  const fz = "(SELECT id FROM runs WHERE project = 'fz')";
  const q = async (sql: string) => (await store.pool.query(sql)).rows;
  return encodeJson([
    await q("SELECT COUNT(*) AS n FROM runs"),
    await q("SELECT COUNT(*) AS n FROM server_ingest"),
    await q("SELECT * FROM runs WHERE project = 'fz' ORDER BY id"),
    await q(
      `SELECT run, COUNT(*), SUM(n), SUM(cardinality(vals)) FROM history_chunks WHERE run IN ${fz} GROUP BY run ORDER BY run`,
    ),
    await q(
      `SELECT run, COUNT(*), SUM(n) FROM history_steps WHERE run IN ${fz} GROUP BY run ORDER BY run`,
    ),
    await q(
      `SELECT run, COUNT(*) FROM history_values WHERE run IN ${fz} GROUP BY run ORDER BY run`,
    ),
    await q(`SELECT run, COUNT(*) FROM system_values WHERE run IN ${fz} GROUP BY run ORDER BY run`),
    await q(`SELECT run, COUNT(*) FROM console_lines WHERE run IN ${fz} GROUP BY run ORDER BY run`),
    await q(
      `SELECT run, COUNT(*), SUM(last_seq) FROM server_ingest WHERE run IN ${fz} GROUP BY run ORDER BY run`,
    ),
  ]);
}

/** For SQLite, the history chunks too (count, points, bytes): a merge into the tail chunk shows. */
function sqliteFingerprint(store: SqliteStore): string {
  const db = store.db;
  const fz = "(SELECT id FROM runs WHERE project = 'fz')";
  const q = (sql: string) => db.prepare(sql).all();
  return JSON.stringify([
    q("SELECT COUNT(*) AS n FROM runs"),
    q("SELECT COUNT(*) AS n FROM server_ingest"),
    q("SELECT * FROM runs WHERE project = 'fz' ORDER BY id"),
    q(
      `SELECT run, COUNT(*), SUM(n), SUM(length(vals)) FROM history_chunks WHERE run IN ${fz} GROUP BY run ORDER BY run`,
    ),
    q(
      `SELECT run, COUNT(*), SUM(n) FROM history_steps WHERE run IN ${fz} GROUP BY run ORDER BY run`,
    ),
    q(`SELECT run, COUNT(*) FROM history_values WHERE run IN ${fz} GROUP BY run ORDER BY run`),
    q(`SELECT run, COUNT(*) FROM system_values WHERE run IN ${fz} GROUP BY run ORDER BY run`),
    q(`SELECT run, COUNT(*) FROM console_lines WHERE run IN ${fz} GROUP BY run ORDER BY run`),
    q(
      `SELECT run, COUNT(*), SUM(last_seq) FROM server_ingest WHERE run IN ${fz} GROUP BY run ORDER BY run`,
    ),
  ]);
}

/** For memory, the lists only grow, so their lengths show every append. */
function memoryFingerprint(store: MemoryStore): string {
  const fz = [...store.runs.values()]
    .filter((r) => r.project === "fz")
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const ledger = (id: string) =>
    [...store.ledger].filter(([k]) => k.startsWith(`${id}\u0000`)).map(([k, v]) => `${k}=${v}`);
  return encodeJson([
    store.runs.size,
    store.ledger.size,
    fz,
    fz.map((r) => [
      r.id,
      store.history.get(r.id)?.length,
      store.system.get(r.id)?.length,
      store.console.get(r.id)?.length,
      ledger(r.id),
    ]),
  ]);
}

/** Sorted-key JSON with non-finite numbers tagged, so stored and sent values compare exactly. */
function canon(v: unknown): string {
  return encodeJson(sortKeys(v));
}
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) {
      Object.defineProperty(out, k, {
        value: sortKeys(o[k]),
        enumerable: true,
        configurable: true,
        writable: true,
      });
    }
    return out;
  }
  return v;
}

let exactN = 0;

/** A random but valid stored value: numbers (incl. non-finite), strings, booleans, nesting. */
function value(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, depth > 3 ? 5 : 7)) {
    case 0:
      return rng.uniform(-1e6, 1e6);
    case 1:
      return pick(rng, [
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        0,
        -0.5,
        2 ** 53 - 1,
        5e-324,
      ]);
    case 2:
      return pick(rng, [
        "",
        "ünï©ødé 🙂",
        "x".repeat(rng.int(0, 2000)),
        "line\nbreak\ttab",
        '"quoted"',
        "\u0000nul",
      ]);
    case 3:
      return rng.next() < 0.5;
    case 4:
      return rng.int(-1000, 1000);
    case 5:
      return "s";
    case 6:
      return Array.from({ length: rng.int(0, 4) }, () => value(rng, depth + 1));
    default:
      return record(rng, depth + 1);
  }
}

function record(rng: Rng, depth = 0): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const keys = [
    "a",
    "lr",
    "ключ",
    "🙂",
    "a.b",
    "k".repeat(512),
    "constructor",
    " sp ",
    "$amltk",
    "0",
  ];
  for (let i = rng.int(0, 5); i > 0; i--) o[pick(rng, keys)] = value(rng, depth);
  return o;
}

/**
 * A valid batch for a fresh run (create, history rows and columns, console, system, patch):
 * accepted, and read back exactly.
 */
export async function exactWrite(
  rng: Rng,
  i: number,
  store: Store,
  send: (c: FuzzCase) => Promise<Sent>,
): Promise<string[]> {
  const id = `exact-${++exactN}`;
  const config = record(rng);
  const summary = record(rng);
  const tags = Array.from({ length: rng.int(0, 3) }, () =>
    pick(rng, ["t", "ü", "x".repeat(512), ""]),
  );
  const notes = pick(rng, [null, "", "n", "ünï\n"]);
  const hkeys = ["loss", "ключ", "a.b", "k".repeat(512), "🙂", "0"];
  const rowsSent = Array.from({ length: rng.int(1, 30) }, (_, s) => {
    const values: Record<string, unknown> = {};
    for (let k = rng.int(1, 4); k > 0; k--) values[pick(rng, hkeys)] = value(rng, 2);
    return { step: s * 2, runtime: rng.uniform(0, 100), timestamp: T0 / 1000 + s, values };
  });
  const n = rowsSent.length;
  const colSteps = Array.from({ length: rng.int(1, 20) }, (_, k) => 1000 + k);
  const colVals = colSteps.map(() => pick(rng, [rng.next(), Number.NaN, -1e300]));
  const lines = Array.from({ length: rng.int(0, 5) }, (_, k) => ({
    stream: pick(rng, ["stdout", "stderr"]),
    timestamp: T0 / 1000 + k,
    text: pick(rng, ["", "epoch 1", "ü🙂\r\n", "x".repeat(3000)]),
  }));
  const body = {
    writer: `exact-writer-${exactN}`,
    ops: [
      {
        seq: 1,
        type: "create",
        run: { project: "fz-exact", name: id, createdAt: T0 + i, config, tags, notes },
      },
      { seq: 2, type: "history", rows: rowsSent },
      {
        seq: 3,
        type: "history_cols",
        cols: {
          steps: colSteps,
          runtimes: colSteps.map((s) => s / 10),
          timestamps: colSteps.map((s) => T0 / 1000 + s),
          columns: { col: { values: colVals } },
          others: [{ row: 0, key: "other", value: "v" }],
        },
      },
      { seq: 4, type: "console", lines },
      {
        seq: 5,
        type: "system",
        samples: [{ timestamp: T0 / 1000, values: { "system/cpu": 1.5 } }],
      },
      { seq: 6, type: "patch", patch: { summary } },
    ],
  };
  const got = await send({ method: "POST", path: `/api/runs/${id}/batch`, body, label: "exact" });
  const problems: string[] = [];
  const sent = encodeJson(body).slice(0, 800);
  if (got.status !== 200)
    return [`valid batch refused: ${got.status} ${got.text.slice(0, 400)}\n  body: ${sent}`];
  const rec = await store.getRun(id);
  if (!rec) return [`run ${id} missing after a 200`];
  const eq = (what: string, a: unknown, b: unknown) => {
    if (canon(a) !== canon(b))
      problems.push(`${what} stored as ${canon(a).slice(0, 300)}, sent ${canon(b).slice(0, 300)}`);
  };
  eq("config", rec.config, config);
  eq("summary", rec.summary, summary);
  eq("tags", rec.tags, tags);
  eq("notes", rec.notes, notes);
  const hist = await store.readHistory(id);
  const wantRows = [
    ...rowsSent,
    ...colSteps.map((s, k) => ({
      step: s,
      runtime: s / 10,
      timestamp: T0 / 1000 + s,
      values: { col: colVals[k], ...(k === 0 ? { other: "v" } : {}) },
    })),
  ];
  eq("history", hist, wantRows);
  const con = await store.readConsole(id);
  eq("console", con, lines);
  if (n + colSteps.length !== hist.length) problems.push(`history has ${hist.length} rows`);
  if (problems.length) problems.push(`  body: ${sent}`);
  return problems;
}
