/**
 * W&B runs ("buckets") on our run model: the W&B run id is our run id, the project is the
 * project, the entity is kept as the run's entity, `displayName` is the name. UpsertBucket is
 * sent several times per run; a field that is null or absent is unchanged, so later calls
 * merge into the run (config keys merge too: the client sends its whole config each time).
 */
import {
  bucketAnswer,
  decodeWandbConfig,
  encodeWandbConfig,
  FILE_STREAM_FILES,
  graphqlId,
  runResumeStatusSchema,
  stringifyWandbJson,
  type UpsertBucketVariables,
  upsertBucketSchema,
} from "../../protocol/wandb/index.js";
import type { RunPatch, RunRecord, Store, StoreTransaction } from "../../store/types.js";
import { ApiError } from "../errors.js";
import { parseOr400 } from "../validator.js";

/** The entity of runs whose client named none (and of the Viewer). */
export const DEFAULT_ENTITY = "amltk";

/** The ledger writer that counts the lines of one streamed file (see file-stream-route.ts). */
export function fileWriter(file: string): string {
  return `wandb:${file}`;
}

function configOf(vars: UpsertBucketVariables): Record<string, unknown> | undefined {
  if (vars.config === null || vars.config === undefined) return undefined;
  try {
    return decodeWandbConfig(vars.config).config;
  } catch (e) {
    throw new ApiError(
      400,
      "invalid",
      `variables.config: ${(e as Error).message}`,
      "variables.config",
    );
  }
}

/** The patch of a later UpsertBucket: only what it sets. */
function mergePatch(vars: UpsertBucketVariables, prev: RunRecord): RunPatch {
  const patch: RunPatch = { heartbeatAt: Date.now() };
  const config = configOf(vars);
  if (config) patch.config = { ...prev.config, ...config };
  if (vars.displayName != null) patch.name = vars.displayName;
  if (vars.notes != null) patch.notes = vars.notes;
  if (vars.tags != null) patch.tags = vars.tags;
  if (vars.groupName != null) patch.group = vars.groupName;
  if (vars.jobType != null) patch.jobType = vars.jobType;
  if (vars.host != null) patch.host = vars.host;
  return patch;
}

/** The project a request names for `run`, refusing a run id that lives in another project. */
function checkSameProject(prev: RunRecord, project: string): void {
  if (prev.project !== project) {
    throw new ApiError(
      409,
      "duplicate",
      `run id ${JSON.stringify(prev.id)} already exists in project ${JSON.stringify(prev.project)}, not ${JSON.stringify(project)}`,
      "variables.name",
    );
  }
}

/** Parsed UpsertBucket variables: the run id and project it needs, with the rest. */
export function upsertVariables(
  raw: unknown,
): UpsertBucketVariables & { name: string; project: string } {
  const vars = parseOr400(upsertBucketSchema, raw ?? {}, () => "variables.");
  if (!vars.name)
    throw new ApiError(400, "invalid", "variables.name (the run id) is required", "variables.name");
  if (!vars.project) {
    throw new ApiError(400, "invalid", "variables.project is required", "variables.project");
  }
  return vars as UpsertBucketVariables & { name: string; project: string };
}

/** Creates the run or merges into it; returns the run as it is now and whether it was new. */
export async function upsertBucket(
  tx: StoreTransaction,
  vars: UpsertBucketVariables & { name: string; project: string },
): Promise<{ run: RunRecord; inserted: boolean }> {
  const prev = await tx.getRun(vars.name);
  if (prev) {
    checkSameProject(prev, vars.project);
    await tx.updateRun(prev.id, mergePatch(vars, prev));
  } else {
    await tx.createRun({
      id: vars.name,
      project: vars.project,
      entity: vars.entity ?? DEFAULT_ENTITY,
      name: vars.displayName ?? vars.name,
      notes: vars.notes ?? null,
      tags: vars.tags ?? [],
      group: vars.groupName ?? null,
      jobType: vars.jobType ?? null,
      config: configOf(vars) ?? {},
      createdAt: Date.now(),
      ...(vars.host != null ? { host: vars.host } : {}),
    });
  }
  const run = (await tx.getRun(vars.name))!;
  return { run, inserted: !prev };
}

/** The `bucket` answer for a stored run. */
export function bucketOf(run: RunRecord, historyLineCount: number) {
  return bucketAnswer({
    id: run.id,
    name: run.name,
    project: run.project,
    entity: run.entity ?? DEFAULT_ENTITY,
    displayName: run.name,
    description: run.notes,
    config: encodeWandbConfig(run.config),
    historyLineCount,
  });
}

/** The lines of `file` the server has taken for `runId` (what a resumed client continues from). */
export async function lineCount(
  tx: StoreTransaction,
  runId: string,
  file: string,
): Promise<number> {
  return (await tx.ingestSeq(runId, fileWriter(file))) ?? 0;
}

/**
 * RunResumeStatus: the run when it exists (`bucket` null otherwise), with what a resuming
 * client needs to continue: line counts per file (its next offsets), the last history line
 * (`historyTail`, so its steps and runtime go on), config and summary.
 */
export async function resumeStatus(store: Store, raw: unknown, checkProject: (p: string) => void) {
  const vars = parseOr400(runResumeStatusSchema, raw ?? {}, () => "variables.");
  const project = vars.project ?? "";
  checkProject(project);
  const counts = await store.transaction!(async (tx) => {
    const run = await tx.getRun(vars.name);
    if (!run || run.project !== project) return undefined;
    return {
      run,
      history: await lineCount(tx, run.id, FILE_STREAM_FILES.history),
      events: await lineCount(tx, run.id, FILE_STREAM_FILES.events),
      output: await lineCount(tx, run.id, FILE_STREAM_FILES.output),
    };
  });
  const entity = vars.entity ?? DEFAULT_ENTITY;
  const model = { id: graphqlId("Project", project), name: project };
  if (!counts) {
    const entityAnswer = { id: graphqlId("Entity", entity), name: entity };
    return { model: { ...model, entity: entityAnswer, bucket: null } };
  }
  const { run } = counts;
  const last =
    run.nextStep > 0 ? await store.readHistory(run.id, { minStep: run.nextStep - 1 }) : [];
  const tail = last.map((r) =>
    stringifyWandbJson({
      ...r.values,
      _step: r.step,
      _runtime: r.runtime,
      _timestamp: r.timestamp,
    }),
  );
  const bucket = bucketOf(run, counts.history);
  return {
    model: {
      ...model,
      entity: bucket.project.entity,
      bucket: {
        id: bucket.id,
        name: run.id,
        displayName: run.name,
        notes: run.notes,
        tags: run.tags,
        config: bucket.config,
        // `_wandb.runtime` (whole seconds) is where a resuming client reads the run's runtime.
        summaryMetrics: stringifyWandbJson({
          ...run.summary,
          _wandb: { runtime: Math.floor(last.at(-1)?.runtime ?? 0) },
        }),
        historyLineCount: counts.history,
        eventsLineCount: counts.events,
        logLineCount: counts.output,
        historyTail: JSON.stringify(tail),
        eventsTail: "[]",
        // The client takes a run as started only when `_wandb.t` is present; its value is the
        // client's telemetry, which we do not keep.
        wandbConfig: JSON.stringify({ t: {} }),
      },
    },
  };
}
