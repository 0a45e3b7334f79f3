/**
 * The shapes of the HTTP API's request bodies and queries (docs/api.md), as valibot schemas.
 * `validator.ts` runs them and turns the first issue into a 400 naming the field; the history
 * payloads inside them (`rows`, `cols`) are only checked to be an array/object here and then
 * point by point by hand in `history-check.ts`, which is the ingest hot path.
 */
import * as v from "valibot";
import { LIMITS } from "../protocol/batch.js";
import type { RunState, StoredValue } from "../store/types.js";
import { depthOf, kindOf, MAX_DEPTH } from "./json-value.js";

const STATES = [
  "running",
  "finished",
  "failed",
  "crashed",
  "pruned",
] as const satisfies readonly RunState[];
function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

/** `schema` for a JSON object only: valibot's object and record schemas also take arrays. */
function obj<S extends v.GenericSchema>(schema: S) {
  return v.pipe(
    v.custom<v.InferInput<S>>(isPlainObject, (i) => `must be an object, got ${kindOf(i.input)}`),
    schema,
  );
}

/** Any number, NaN and ±Infinity included (they arrive as tags; `v.number()` refuses NaN). */
export const anyNumber = v.custom<number>((x) => typeof x === "number", "not a number");

/**
 * What JSON can carry is a StoredValue; the one limit left to check is nesting depth. Kept as
 * sent (not `v.record`, which drops `__proto__` and `constructor` keys: those are data here).
 */
const storedRecord = v.pipe(
  v.custom<Record<string, StoredValue>>(isPlainObject, "must be an object"),
  v.check((x) => depthOf(x) <= MAX_DEPTH, `nested deeper than ${MAX_DEPTH} levels`),
);

const text = (max: number) => v.pipe(v.string(), v.maxLength(max, `longer than ${max} characters`));
const optText = (max: number) => v.nullish(text(max));
const notFinite = (i: { input: unknown }) =>
  `must be a finite number, got ${JSON.stringify(i.input) ?? kindOf(i.input)}`;
const finite = v.pipe(v.number(notFinite), v.finite(notFinite));
const tags = v.pipe(v.array(text(512)), v.maxLength(1000, "at most 1000 items per request"));

/**
 * A run id. "." and ".." are path segments, not ids: a URL with them means another route.
 */
export const runIdSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_.-]{1,128}$/, "must match [A-Za-z0-9_.-]{1,128}"),
  v.check(
    (s) => s !== "." && s !== "..",
    (i) => `${JSON.stringify(i.input)} is not a run id`,
  ),
);

/** The id of a writer (one SDK process's outbox), which with `seq` makes writes idempotent. */
export const writerSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_-]{8,64}$/, "must match [A-Za-z0-9_-]{8,64}"),
);

export const seqSchema = v.pipe(
  v.number((i) => `must be a positive integer, got ${JSON.stringify(i.input) ?? kindOf(i.input)}`),
  v.safeInteger((i) => `must be a positive integer, got ${JSON.stringify(i.input)}`),
  v.minValue(1, (i) => `must be a positive integer, got ${JSON.stringify(i.input)}`),
);

/** Absent or null (as a client may send a field it has no value for), read as absent. */
const orUndefined = <S extends v.GenericSchema>(schema: S) =>
  v.pipe(
    v.nullish(schema),
    v.transform((x) => x ?? undefined),
  );

/** A run as a `create` names it (the server fills state, summary and timestamps). */
export const createSchema = v.object({
  id: v.optional(runIdSchema),
  project: v.pipe(text(256), v.minLength(1, "must not be empty")),
  name: text(512),
  createdAt: finite,
  entity: optText(512),
  group: optText(512),
  jobType: optText(512),
  host: orUndefined(text(512)),
  notes: optText(1_000_000),
  tags: v.optional(tags),
  config: v.optional(storedRecord),
  pid: orUndefined(v.pipe(v.number(), v.safeInteger("must be an integer"))),
  ownerStart: optText(512),
});

/** The fields a writer may change; any other key is refused, naming it. */
export const patchSchema = v.strictObject(
  {
    name: v.optional(text(512)),
    notes: optText(1_000_000),
    tags: v.optional(tags),
    group: optText(512),
    jobType: optText(512),
    config: v.optional(storedRecord),
    summary: v.optional(storedRecord),
    state: v.optional(v.picklist(STATES, `must be one of ${STATES.join(", ")}`)),
    exitCode: v.nullish(v.pipe(finite, v.integer("must be an integer"))),
    finishedAt: v.nullish(finite),
    heartbeatAt: v.optional(finite),
    pid: v.nullish(finite),
    host: optText(512),
  },
  "is not a field a writer may change",
);

/** The message of a list over its limit. */
const most = (max: number) => (i: { received: string }) =>
  `at most ${max} items per request, got ${i.received}`;

/**
 * Metric values by key, kept as sent: `v.record` would drop keys such as "constructor" or
 * "__proto__", and a metric may be called that. A bad key is named at the record (the key
 * itself may be empty or huge), a bad value at its key.
 */
const metricValues = v.pipe(
  v.custom<Record<string, number>>(
    isPlainObject,
    (i) => `must be an object, got ${kindOf(i.input)}`,
  ),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const o = dataset.value;
    for (const k in o) {
      if (k.length === 0 || k.length > LIMITS.keyLength) {
        addIssue({ message: `key must be 1..${LIMITS.keyLength} characters` });
        return;
      }
      if (typeof o[k] !== "number") {
        const at = { type: "object", origin: "value", input: o, key: k, value: o[k] } as const;
        addIssue({ message: "not a number", path: [at] });
        return;
      }
    }
  }),
);

export const samplesSchema = v.pipe(
  v.array(
    obj(
      v.object({
        timestamp: finite,
        values: metricValues,
      }),
    ),
  ),
  v.maxLength(LIMITS.samplesPerRequest, most(LIMITS.samplesPerRequest)),
);

export const linesSchema = v.pipe(
  v.array(
    obj(
      v.object({
        stream: v.picklist(["stdout", "stderr"], 'must be "stdout" or "stderr"'),
        timestamp: finite,
        text: text(LIMITS.consoleLine),
      }),
    ),
  ),
  v.maxLength(LIMITS.linesPerRequest, most(LIMITS.linesPerRequest)),
);

/** History rows: only the envelope here; every point is checked in `history-check.ts`. */
export const rowsSchema = v.pipe(
  v.array(v.unknown()),
  v.maxLength(LIMITS.rowsPerRequest, most(LIMITS.rowsPerRequest)),
);
/** Columnar history: only the envelope here; its columns are checked in `history-check.ts`. */
export const colsSchema = obj(v.record(v.string(), v.unknown()));

const opTypes = "create, history, history_cols, system, console, patch";
export const opSchema = v.variant(
  "type",
  [
    v.object({
      seq: seqSchema,
      type: v.literal("create"),
      run: obj(createSchema),
      resume: v.optional(v.boolean("must be a boolean"), false),
    }),
    v.object({ seq: seqSchema, type: v.literal("history"), rows: rowsSchema }),
    v.object({ seq: seqSchema, type: v.literal("history_cols"), cols: colsSchema }),
    v.object({ seq: seqSchema, type: v.literal("system"), samples: samplesSchema }),
    v.object({ seq: seqSchema, type: v.literal("console"), lines: linesSchema }),
    v.object({ seq: seqSchema, type: v.literal("patch"), patch: obj(patchSchema) }),
  ],
  (i) => `must be one of ${opTypes}; got ${JSON.stringify(i.input)}`,
);

/** `POST /api/runs/:id/batch`. */
export const batchSchema = obj(
  v.object({
    writer: writerSchema,
    ops: v.pipe(
      v.array(obj(opSchema)),
      v.maxLength(LIMITS.opsPerRequest, most(LIMITS.opsPerRequest)),
    ),
  }),
);

/** `writer`/`seq` of a single-op request (both or neither; `writerAndSeq` in write-routes checks that). */
const single = {
  writer: v.optional(writerSchema),
  seq: v.optional(seqSchema),
};

/** `POST /api/runs`: a create body plus `writer`, `seq` and `resume`. */
export const createRequestSchema = obj(
  v.object({
    ...createSchema.entries,
    ...single,
    resume: v.optional(v.boolean("must be a boolean"), false),
  }),
);

/** `PATCH /api/runs/:id`: a patch plus `writer` and `seq`. */
export const patchRequestSchema = obj(
  v.strictObject({ ...patchSchema.entries, ...single }, "is not a field a writer may change"),
);

export const historyRequestSchema = obj(v.object({ ...single, rows: rowsSchema }));
export const systemRequestSchema = obj(v.object({ ...single, samples: samplesSchema }));
export const consoleRequestSchema = obj(v.object({ ...single, lines: linesSchema }));

/** An integer query parameter in `min..max`, `def` when absent or empty. */
export function intQuery(def: number, max: number, min = 0) {
  const inRange = (s: string) => {
    const n = Number(s);
    return s === "" || (Number.isSafeInteger(n) && n >= min && n <= max);
  };
  return v.pipe(
    v.optional(v.string(), ""),
    v.check(inRange, (i) => `must be an integer in ${min}..${max}, got ${JSON.stringify(i.input)}`),
    v.transform((s) => (s === "" ? def : Number(s))),
  );
}

/** `GET /api/runs/:id/history` */
export const historyQuerySchema = v.object({
  key: v.pipe(
    v.string("is required"),
    v.minLength(1, "is required"),
    v.maxLength(512, (i) => `is ${(i.input as string).length} characters long; at most 512`),
  ),
  minStep: intQuery(0, Number.MAX_SAFE_INTEGER),
  maxStep: intQuery(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  limit: intQuery(10_000, 100_000),
});

/** `GET /api/runs/:id/system` */
export const systemQuerySchema = v.object({
  keys: v.optional(v.string()),
  buckets: intQuery(200, LIMITS.buckets, 1),
});

/** `GET /api/runs/:id/console` */
export const consoleQuerySchema = v.object({
  offset: intQuery(0, Number.MAX_SAFE_INTEGER),
  limit: intQuery(1000, 10_000),
  /** The last N lines (-1: not asked; then `offset` says where to start). */
  tail: intQuery(-1, 10_000),
});

/**
 * Per-bucket columns a series request can ask for (`x` always comes); `nonFinite` is the sparse
 * NaN/±Infinity counts (see `ColumnarSeries.nonFinite`).
 */
export const SERIES_FIELDS = ["min", "max", "last", "count", "nonFinite"] as const;

const strings = (max: number) =>
  v.pipe(
    v.array(v.string(), "must be an array of strings"),
    v.maxLength(max, `at most ${max} entries`),
  );

/**
 * `POST /api/series`, before the rules that tie fields together (`runs` or `runsQuery`,
 * no step for system metrics), which `parseSeriesRequest` in read-routes checks.
 */
export const seriesSchema = obj(
  v.object({
    runs: v.optional(
      v.pipe(
        v.array(runIdSchema, "must be an array of strings"),
        v.maxLength(LIMITS.seriesRuns, `at most ${LIMITS.seriesRuns} entries`),
      ),
    ),
    keys: strings(LIMITS.seriesKeys),
    x: v.optional(
      v.picklist(["step", "time", "relative"], 'must be "step", "time" or "relative"'),
      "step",
    ),
    buckets: v.optional(
      v.pipe(
        v.number(`must be an integer in 1..${LIMITS.buckets}`),
        v.integer(`must be an integer in 1..${LIMITS.buckets}`),
        v.minValue(1, `must be an integer in 1..${LIMITS.buckets}`),
        v.maxValue(LIMITS.buckets, `must be an integer in 1..${LIMITS.buckets}`),
      ),
      500,
    ),
    source: v.optional(
      v.picklist(["history", "system"], 'must be "history" or "system"'),
      "history",
    ),
    xMin: v.optional(finite),
    xMax: v.optional(finite),
    fields: v.optional(
      v.pipe(
        v.array(
          v.picklist(SERIES_FIELDS, `must be one of ${SERIES_FIELDS.join(", ")}`),
          "must be an array of strings",
        ),
        v.maxLength(SERIES_FIELDS.length, `at most ${SERIES_FIELDS.length} entries`),
      ),
    ),
    runsQuery: v.optional(v.string("must be a query string")),
  }),
);
