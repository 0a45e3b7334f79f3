/**
 * Seeded generators for the server fuzz test (src/server/fuzz.test.ts): valid request templates
 * for every write route, mutations that break one spot of a template (so the error must name that
 * spot), and malformed query strings for the read routes. Plain data in, plain data out: the test
 * sends them to a real server.
 */
import type { Rng } from "../optim/rng.js";
import { T0 } from "./server.test-helpers.js";

export interface FuzzCase {
  method: "GET" | "POST" | "PATCH";
  path: string;
  /** An object is sent through encodeJson; a string is sent as is; undefined sends no body. */
  body?: unknown;
  contentType?: string;
  /** The API field a mutation broke (the error's `field` must relate to it), when known. */
  broke?: string;
  /** Send without the API key. */
  noKey?: boolean;
  /** What made this case (for the failure report). */
  label: string;
}

export const pick = <T>(rng: Rng, a: readonly T[]): T => a[rng.int(0, a.length - 1)]!;

/** A JSON-parsed object with an own `__proto__` key (what a hostile client can send). */
const protoKey = () => JSON.parse('{"__proto__": {"polluted": 1}, "ok": 1}');

function deep(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { d: v };
  return v;
}

/** Values that are wrong in most places (some are right in some places: the test allows that). */
export function badValue(rng: Rng): unknown {
  switch (rng.int(0, 30)) {
    case 28:
      return 2 ** 53 - 1; // the largest step there is: valid
    case 29:
      return -0;
    case 30:
      return Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i]));
    case 0:
      return null;
    case 1:
      return "";
    case 2:
      return "x".repeat(rng.int(513, 70_000));
    case 3:
      return -1;
    case 4:
      return 1.5;
    case 5:
      return 2 ** 53;
    case 6:
      return -(2 ** 60);
    case 7:
      return 1e308;
    case 8:
      return Number.NaN;
    case 9:
      return Number.POSITIVE_INFINITY;
    case 10:
      return Number.NEGATIVE_INFINITY;
    case 11:
      return { $amltk_num: "bogus" };
    case 12:
      return { $amltk_num: "NaN", extra: 1 };
    case 13:
      return [];
    case 14:
      return {};
    case 15:
      return deep(rng.int(30, 300));
    case 16:
      return true;
    case 17:
      return "123";
    case 18:
      return "ünï©ødé 🙂 ключ";
    case 19:
      return "\ud800lone";
    case 20:
      return protoKey();
    case 21:
      return Array.from({ length: rng.int(10_001, 11_000) }, (_, i) => i);
    case 22:
      return 0;
    case 23:
      return "NaN";
    case 24:
      return 5e-324;
    case 25:
      return [null, {}, "a"];
    case 26:
      return "running";
    default:
      return { nested: { a: [1, "b", { c: null }] } };
  }
}

/** Keys that are wrong or odd in objects with free keys (values, columns, config, summary). */
export const ODD_KEYS = [
  "",
  "k".repeat(513),
  "k".repeat(512),
  "__proto__",
  "constructor",
  "a.b",
  "ключ 🙂",
  "\u0000nul",
  "\ud800",
  "$amltk_num",
  "toString",
  " ",
];

export function historyRow(step: number, rng: Rng) {
  return {
    step,
    runtime: step * 0.5,
    timestamp: T0 / 1000 + step,
    values: { loss: rng.next(), acc: 1, label: "cat" },
  };
}

function historyCols(from: number) {
  return {
    steps: [from, from + 1, from + 2],
    runtimes: [1, 2, 3],
    timestamps: [T0 / 1000, T0 / 1000 + 1, T0 / 1000 + 2],
    columns: {
      loss: { values: [0.3, 0.2, Number.NaN] },
      acc: { rows: [0, 2], values: [0.5, 0.7] },
    },
    others: [{ row: 1, key: "label", value: "dog" }],
  };
}

const system = () => [{ timestamp: T0 / 1000 + 1, values: { "system/cpu": 12.5 } }];
const consoleOut = () => [{ stream: "stdout", timestamp: T0 / 1000 + 1, text: "epoch 1" }];
const patch = (rng: Rng) => ({
  summary: { loss: rng.next(), best: { v: 1 } },
  notes: "n",
  tags: ["x", "y"],
  heartbeatAt: T0 + 5,
});

/** A valid body template for one write route against run `run`, with fresh writer and seqs. */
export function writeTemplate(
  rng: Rng,
  run: string,
  step: number,
  writer: string,
): { method: "POST" | "PATCH"; path: string; body: Record<string, unknown>; prefix: string } {
  const dedupe = rng.next() < 0.5 ? { writer, seq: 1 } : {};
  switch (rng.int(0, 6)) {
    case 0:
    case 1: {
      const ops: Record<string, unknown>[] = [];
      const kinds = ["history", "history_cols", "system", "console", "patch", "create"];
      const n = rng.int(1, 5);
      for (let i = 0; i < n; i++) {
        const seq = i + 1;
        const k = pick(rng, kinds);
        if (k === "history")
          ops.push({
            seq,
            type: k,
            rows: [historyRow(step + 10 * i, rng), historyRow(step + 10 * i + 1, rng)],
          });
        else if (k === "history_cols") ops.push({ seq, type: k, cols: historyCols(step + 10 * i) });
        else if (k === "system") ops.push({ seq, type: k, samples: system() });
        else if (k === "console") ops.push({ seq, type: k, lines: consoleOut() });
        else if (k === "patch") ops.push({ seq, type: k, patch: patch(rng) });
        else
          ops.push({
            seq,
            type: k,
            resume: true,
            run: { project: "fz", name: run, createdAt: T0, config: { lr: 0.1 }, tags: ["t"] },
          });
      }
      return { method: "POST", path: `/api/runs/${run}/batch`, body: { writer, ops }, prefix: "" };
    }
    case 2:
      return {
        method: "POST",
        path: "/api/runs",
        body: {
          ...dedupe,
          id: run,
          project: "fz",
          name: run,
          createdAt: T0,
          config: { lr: 0.1, layers: [1, 2] },
          tags: ["t"],
          notes: null,
          group: "g",
          jobType: null,
          entity: null,
          pid: 12,
          host: "h",
          resume: true,
        },
        prefix: "body.",
      };
    case 3:
      return {
        method: "POST",
        path: `/api/runs/${run}/history`,
        body: { ...dedupe, rows: [historyRow(step, rng), historyRow(step + 1, rng)] },
        prefix: "",
      };
    case 4:
      return {
        method: "POST",
        path: `/api/runs/${run}/system`,
        body: { ...dedupe, samples: system() },
        prefix: "",
      };
    case 5:
      return {
        method: "POST",
        path: `/api/runs/${run}/console`,
        body: { ...dedupe, lines: consoleOut() },
        prefix: "",
      };
    default:
      return {
        method: "PATCH",
        path: `/api/runs/${run}`,
        body: { ...dedupe, ...patch(rng), state: "running", exitCode: null },
        prefix: "body.",
      };
  }
}

type Path = (string | number)[];

/** Every place in `v` (objects and arrays, not the root) a mutation can hit. */
function places(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  if (v !== null && typeof v === "object") {
    if (at.length > 0) out.push(at);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) places(v[i], [...at, i], out);
    } else
      for (const k of Object.keys(v)) places((v as Record<string, unknown>)[k], [...at, k], out);
  } else if (at.length > 0) out.push(at);
  return out;
}

/** The API's spelling of a path: `ops[2].rows[0].step`. */
export function fieldName(p: Path): string {
  let s = "";
  for (const k of p) s += typeof k === "number" ? `[${k}]` : s === "" ? k : `.${k}`;
  return s;
}

/** Breaks one spot of `body` (in place): replaces, deletes, or adds an odd key. Returns its field. */
export function mutate(rng: Rng, body: Record<string, unknown>): string {
  const all = places(body);
  if (all.length === 0) return "";
  const p = pick(rng, all);
  type Node = Record<string | number, unknown>;
  const parent = p.slice(0, -1).reduce<Node>((o, k) => o[k] as Node, body);
  const last = p[p.length - 1]!;
  const r = rng.next();
  if (r < 0.15 && !Array.isArray(parent)) {
    delete parent[last];
  } else if (r < 0.3) {
    const target = parent[last];
    if (target !== null && typeof target === "object" && !Array.isArray(target)) {
      const k = pick(rng, ODD_KEYS);
      Object.defineProperty(target, k, {
        value: rng.next() < 0.5 ? 1 : badValue(rng),
        enumerable: true,
        configurable: true,
        writable: true,
      });
      return fieldName(p);
    }
    parent[last] = badValue(rng);
  } else {
    parent[last] = badValue(rng);
  }
  return fieldName(p);
}

const INTS = [
  "",
  "0",
  "-1",
  "1.5",
  "1e3",
  "1e400",
  "NaN",
  "Infinity",
  "abc",
  "99999999999999999999",
  " 7",
  "0x10",
  "10001",
  "100000",
  "100001",
  "5",
];
const FIELDS = [
  "config.lr",
  "summary.loss",
  "name",
  "state",
  "createdAt",
  "config.",
  "config..a",
  'config.a"b',
  "summary.a'b",
  "config.[0]",
  "config.a[0]",
  "config.$",
  "config.*",
  "bogus",
  "",
  "config.a.b.c.d",
  "summary.\\",
  "config.a)b",
  "exitCode",
  "tags",
  "nextStep",
  "updatedAt",
];
const OPS = ["eq", "ne", "lt", "le", "gt", "ge", "in", "contains", "like", "", "=", null];
const VALUES = [
  0.01,
  "x",
  true,
  null,
  [1, "a"],
  [],
  [null],
  { a: 1 },
  "%",
  "_",
  "'; DROP TABLE runs; --",
  1e308,
  "ünï",
];

function filterParam(rng: Rng): string {
  const r = rng.next();
  if (r < 0.15)
    return pick(rng, [
      "[",
      "{}",
      "null",
      "[1]",
      "[[]]",
      '"x"',
      "[{}]",
      `${"[".repeat(2000)}${"]".repeat(2000)}`,
      "x".repeat(5000),
    ]);
  const n = rng.int(1, 4);
  const fs = Array.from({ length: n }, () => {
    const f: Record<string, unknown> = {
      field: pick(rng, FIELDS),
      op: pick(rng, OPS),
      value: pick(rng, VALUES),
    };
    if (rng.next() < 0.1) delete f[pick(rng, ["field", "op", "value"])];
    if (rng.next() < 0.05) f.field = 5;
    return f;
  });
  return JSON.stringify(fs);
}

/** A query string for `GET /api/runs` (also used as a series request's `runsQuery`). */
export function runsQuery(rng: Rng): string {
  const p = new URLSearchParams();
  const maybe = (name: string, v: () => string) => {
    if (rng.next() < 0.35) p.append(name, v());
  };
  maybe("project", () => pick(rng, ["fz", "", "nope", "x".repeat(3000), "ü"]));
  maybe("state", () =>
    pick(rng, ["running", "finished,failed", "bogus", ",", "running,", "RUNNING"]),
  );
  maybe("group", () => pick(rng, ["g", "", "%"]));
  for (let i = rng.int(0, 2) * (rng.next() < 0.3 ? 1 : 0); i > 0; i--)
    p.append("tag", pick(rng, ["t", "x", ""]));
  if (rng.next() < 0.03) for (let i = 0; i < 101; i++) p.append("tag", "t");
  maybe("q", () => pick(rng, ["fz", "%", "_", "'", "\\", "ü"]));
  maybe("filter", () => filterParam(rng));
  maybe("sort", () =>
    pick(rng, [
      "-createdAt",
      "name",
      "-",
      "--createdAt",
      "config.",
      'config."',
      "summary.loss",
      "config.a b",
      "bogus",
      "-summary.best.v",
      "config..x",
    ]),
  );
  maybe("limit", () => pick(rng, INTS));
  maybe("offset", () => pick(rng, INTS));
  return p.toString();
}

/** A read request: runs list, one run's keys/history/system/console, or a series query. */
export function readCase(rng: Rng, runs: readonly string[]): FuzzCase {
  const id =
    rng.next() < 0.85
      ? pick(rng, runs)
      : pick(rng, ["nope", "a%20b", "%ZZ", "x".repeat(200), "%C3%BC", "a.b", "%00"]);
  const q = (pairs: [string, () => string][]) => {
    const p = new URLSearchParams();
    for (const [k, v] of pairs) if (rng.next() < 0.5) p.append(k, v());
    const s = p.toString();
    return s ? `?${s}` : "";
  };
  switch (rng.int(0, 6)) {
    case 0:
    case 1:
      return { method: "GET", path: `/api/runs?${runsQuery(rng)}`, label: "runs" };
    case 2:
      return {
        method: "GET",
        path: `/api/runs/${id}/history${q([
          ["key", () => pick(rng, ["loss", "", "nope", "label", "k".repeat(600)])],
          ["minStep", () => pick(rng, INTS)],
          ["maxStep", () => pick(rng, INTS)],
          ["limit", () => pick(rng, INTS)],
        ])}`,
        label: "history",
      };
    case 3:
      return {
        method: "GET",
        path: `/api/runs/${id}/system${q([
          ["buckets", () => pick(rng, INTS)],
          [
            "keys",
            () =>
              pick(rng, [
                "system/cpu",
                "",
                ",",
                "a,,b",
                Array.from({ length: 500 }, (_, i) => `k${i}`).join(","),
                "k".repeat(600),
              ]),
          ],
        ])}`,
        label: "system",
      };
    case 4:
      return {
        method: "GET",
        path: `/api/runs/${id}/console${q([
          ["offset", () => pick(rng, INTS)],
          ["limit", () => pick(rng, INTS)],
          ["tail", () => pick(rng, INTS)],
        ])}`,
        label: "console",
      };
    case 5:
      return { method: "GET", path: `/api/runs/${id}${pick(rng, ["", "/keys"])}`, label: "run" };
    default: {
      const body: Record<string, unknown> = {
        runs: [pick(rng, runs), pick(rng, runs)],
        keys: ["loss", "acc"],
        x: pick(rng, ["step", "time", "relative"]),
        buckets: 50,
        xMin: 0,
        xMax: T0 * 2,
        fields: ["last", "count"],
      };
      if (body.x !== "step" && rng.next() < 0.3) body.source = "system";
      if (rng.next() < 0.3) {
        delete body.runs;
        body.runsQuery = runsQuery(rng);
      }
      const broke = rng.next() < 0.7 ? mutate(rng, body) : undefined;
      // A runsQuery may be bad itself, so the error need not name the mutated field then.
      if (body.runsQuery !== undefined)
        return { method: "POST", path: "/api/series", body, label: "series" };
      return { method: "POST", path: "/api/series", body, broke, label: "series" };
    }
  }
}
