/**
 * The GraphQL operations of the W&B client that a server must answer, by operation name:
 * their variables (valibot schemas) and the answers the client reads. The client sends one
 * fixed query text per operation, so a server dispatches on `operationName` (or the name in
 * the query text) and never needs a GraphQL engine.
 */
import * as v from "valibot";

/** The operations a W&B-protocol server answers (others are refused by name). */
export const WANDB_OPERATIONS = [
  "Viewer",
  "ServerFeaturesQuery",
  "UpsertBucket",
  "RunResumeStatus",
  "CreateRunFiles",
  "OrganizationCoreWeaveOrganizationID",
] as const;

/**
 * One of {@link WANDB_OPERATIONS}.
 *
 * @example
 * ```ts
 * const op: WandbOperation = "UpsertBucket";
 * ```
 */
export type WandbOperation = (typeof WANDB_OPERATIONS)[number];

/** A GraphQL request body: the query text, its variables and (usually) its operation name. */
export const graphqlRequestSchema = v.looseObject({
  query: v.string("query must be a string"),
  operationName: v.optional(v.nullable(v.string())),
  variables: v.optional(v.nullable(v.record(v.string(), v.unknown()))),
});

/**
 * A GraphQL request body.
 *
 * @example
 * ```ts
 * const req: GraphqlRequest = { query: "query Viewer { viewer { id } }", operationName: "Viewer" };
 * ```
 */
export type GraphqlRequest = v.InferOutput<typeof graphqlRequestSchema>;

/**
 * The operation a request names: `operationName`, else the name after `query`/`mutation`.
 *
 * @example
 * ```ts
 * operationOf({ query: "mutation UpsertBucket($name: String) { ... }" }); // "UpsertBucket"
 * ```
 */
export function operationOf(req: GraphqlRequest): string | undefined {
  if (req.operationName) return req.operationName;
  return /\b(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(req.query)?.[1];
}

const optString = v.nullish(v.string());

/**
 * UpsertBucket's variables (a run's create or update). Null or absent means "unchanged" on
 * every call after the first; `name` is the run id, `config` W&B's config JSON string.
 */
export const upsertBucketSchema = v.looseObject({
  id: optString,
  name: optString,
  project: optString,
  entity: optString,
  groupName: optString,
  description: optString,
  displayName: optString,
  notes: optString,
  commit: optString,
  config: optString,
  host: optString,
  debug: v.nullish(v.boolean()),
  program: optString,
  repo: optString,
  jobType: optString,
  state: optString,
  sweep: optString,
  tags: v.nullish(v.array(v.string())),
  summaryMetrics: optString,
});

/**
 * UpsertBucket's variables.
 *
 * @example
 * ```ts
 * const vars: UpsertBucketVariables = { name: "run1", project: "demo", config: '{"lr":{"value":0.1}}' };
 * ```
 */
export type UpsertBucketVariables = v.InferOutput<typeof upsertBucketSchema>;

/** RunResumeStatus's variables: the run to resume. */
export const runResumeStatusSchema = v.looseObject({
  entity: optString,
  project: optString,
  name: v.string("name (the run id) must be a string"),
});

/** CreateRunFiles's variables: the run and the file names the client will upload. */
export const createRunFilesSchema = v.looseObject({
  entity: optString,
  project: v.string("project must be a string"),
  run: v.string("run must be a string"),
  files: v.array(v.string("each file name must be a string")),
});

/**
 * A run as the W&B client reads it back from UpsertBucket (`bucket`).
 *
 * @example
 * ```ts
 * const b: WandbBucket = bucketAnswer({ id: "run1", name: "run1", project: "demo", entity: "me" });
 * ```
 */
export interface WandbBucket {
  id: string;
  name: string;
  displayName: string | null;
  description: string | null;
  config: string;
  sweepName: null;
  historyLineCount: number;
  project: { id: string; name: string; entity: { id: string; name: string } };
}

/** GraphQL ids are opaque strings; W&B's are base64 of `Kind:name`, and so are ours. */
export function graphqlId(kind: string, name: string): string {
  return Buffer.from(`${kind}:${name}`).toString("base64");
}

/** The `bucket` of an UpsertBucket or RunResumeStatus answer, from a run's fields. */
export function bucketAnswer(run: {
  id: string;
  name: string;
  project: string;
  entity: string;
  displayName?: string | null;
  description?: string | null;
  config?: string;
  historyLineCount?: number;
}): WandbBucket {
  return {
    id: graphqlId("Run", `${run.project}/${run.id}`),
    name: run.id,
    displayName: run.displayName ?? run.name,
    description: run.description ?? null,
    config: run.config ?? "{}",
    sweepName: null,
    historyLineCount: run.historyLineCount ?? 0,
    project: {
      id: graphqlId("Project", run.project),
      name: run.project,
      entity: { id: graphqlId("Entity", run.entity), name: run.entity },
    },
  };
}

/**
 * A GraphQL error answer (HTTP 200 with `errors`, as GraphQL servers answer a refused operation;
 * the W&B client shows the message).
 *
 * @example
 * ```ts
 * graphqlError("artifacts are not supported by this server");
 * // { data: null, errors: [{ message: "artifacts are not supported by this server" }] }
 * ```
 */
export function graphqlError(message: string): { data: null; errors: { message: string }[] } {
  return { data: null, errors: [{ message }] };
}
