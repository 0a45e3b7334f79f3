/**
 * `WandbPlugin`: tracks each trial as a run of the local W&B-compatible tracker.
 *
 * @module
 */

import { moduleOf } from "../scheduling/executors/executor.js";
import { Plugin } from "../scheduling/task.js";
import { init, type Mode } from "../track/index.js";
import type { TrialReport } from "../trial/report.js";
import type { Trial } from "../trial/trial.js";
import type { TrialWrapperRef } from "../trial/trial-call.js";

/** Plain-data fields of {@link WandbParams}. */
export interface WandbParamsInit {
  project?: string;
  group?: string;
  entity?: string;
  mode?: Mode;
  dir?: string;
  jobType?: string;
  tags?: string[];
  notes?: string;
  name?: string;
  /** Only these config keys are recorded (default: all). */
  configInclude?: string[];
  /** These config keys are not recorded. */
  configExclude?: string[];
  resume?: "allow" | "must" | "never" | boolean;
}

/** The parameters a run is created with; `modify` returns a changed copy. */
export class WandbParams implements WandbParamsInit {
  readonly project?: string;
  readonly group?: string;
  readonly entity?: string;
  readonly mode?: Mode;
  readonly dir?: string;
  readonly jobType?: string;
  readonly tags?: string[];
  readonly notes?: string;
  readonly name?: string;
  readonly configInclude?: string[];
  readonly configExclude?: string[];
  readonly resume?: "allow" | "must" | "never" | boolean;

  constructor(init: WandbParamsInit = {}) {
    Object.assign(this, stripUndefined(init));
  }

  modify(changes: WandbParamsInit): WandbParams {
    return new WandbParams({ ...this.toJSON(), ...changes });
  }

  toJSON(): WandbParamsInit {
    return stripUndefined({ ...this });
  }

  /** The trial's config filtered by include/exclude. */
  config(config: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) {
      if (this.configInclude && !this.configInclude.includes(k)) continue;
      if (this.configExclude?.includes(k)) continue;
      out[k] = v;
    }
    return out;
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** `modify(trial, params)`: changes the params per trial (e.g. tags). */
export type ModifyFn = (trial: Trial, params: WandbParams) => WandbParams;

/** Options of {@link WandbPlugin.trialTracker}. */
export interface TrialTrackerOptions {
  jobType?: string;
  modify?: ModifyFn;
}

interface WrapperOptions {
  params: WandbParamsInit;
  modify?: { moduleUrl: string; exportName: string };
}

/** The plugin: `plugin.trialTracker()` gives a Trial.Task plugin. */
export class WandbPlugin {
  readonly params: WandbParams;

  constructor(init: WandbParamsInit = {}) {
    this.params = new WandbParams(init);
  }

  trialTracker(options: TrialTrackerOptions = {}): WandbTrialTracker {
    return new WandbTrialTracker(
      this.params.modify({ jobType: options.jobType ?? "trial" }),
      options.modify,
    );
  }
}

const localModifiers = new Map<string, ModifyFn>();
let nextLocal = 0;

/** Plugin that wraps each trial in a run (on the worker that runs the trial). */
export class WandbTrialTracker extends Plugin {
  readonly name = "wandb-trial-tracker";
  readonly params: WandbParams;
  readonly modify?: ModifyFn;

  constructor(params: WandbParams, modify?: ModifyFn) {
    super();
    this.params = params;
    this.modify = modify;
  }

  trialWrapper(remote: boolean): TrialWrapperRef {
    const options: WrapperOptions = { params: this.params.toJSON() };
    if (this.modify) {
      const ref = moduleOf(this.modify);
      if (ref) options.modify = ref;
      else if (remote) {
        throw new TypeError(
          "WandbPlugin.trialTracker: this scheduler runs trials in worker processes, which must " +
            "import `modify`. Export it and wrap it: " +
            'export const modifyRun = importable((trial, params) => ..., import.meta.url, "modifyRun").',
        );
      } else {
        const key = `local-${nextLocal++}`;
        localModifiers.set(key, this.modify);
        options.modify = { moduleUrl: "local:", exportName: key };
      }
    }
    return { moduleUrl: import.meta.url, exportName: "wandbTrialWrapper", options };
  }
}

async function resolveModify(ref: WrapperOptions["modify"]): Promise<ModifyFn | undefined> {
  if (!ref) return undefined;
  if (ref.moduleUrl === "local:") return localModifiers.get(ref.exportName);
  const mod = (await import(ref.moduleUrl)) as Record<string, unknown>;
  const fn = mod[ref.exportName];
  if (typeof fn !== "function") {
    throw new TypeError(`${ref.moduleUrl} has no exported function "${ref.exportName}"`);
  }
  return fn as ModifyFn;
}

/** The worker-side wrapper: creates the run, runs the trial, logs the report, finishes. */
export async function wandbTrialWrapper(
  trial: Trial,
  rawOptions: unknown,
  next: (trial: Trial) => Promise<TrialReport>,
): Promise<TrialReport> {
  const options = rawOptions as WrapperOptions;
  let params = new WandbParams(options.params);
  const modify = await resolveModify(options.modify);
  if (modify) params = modify(trial, params);
  const run = await init({
    project: params.project,
    group: params.group,
    entity: params.entity,
    mode: params.mode,
    dir: params.dir,
    jobType: params.jobType,
    tags: params.tags,
    notes: params.notes,
    resume: params.resume,
    name: params.name ?? trial.name,
    config: params.config(trial.config),
    reinit: "create_new",
  });
  trial.plugins.wandb = run;
  let report: TrialReport;
  try {
    report = await next(trial);
  } catch (error) {
    await run.finish(1);
    throw error;
  }
  try {
    const data: Record<string, unknown> = { status: report.status };
    for (const [k, v] of Object.entries(report.values)) data[`metric/${k}`] = v;
    for (const [name, p] of Object.entries(report.profiles)) {
      const prof = p as unknown as Record<string, Record<string, unknown>>;
      for (const part of ["time", "memory"] as const) {
        for (const [k, v] of Object.entries(prof[part] ?? {})) {
          if (typeof v === "number" && Number.isFinite(v)) data[`profile/${name}/${part}/${k}`] = v;
        }
      }
    }
    if (report.exception) data.exception = report.exception;
    if (report.traceback) data.traceback = report.traceback;
    run.log(data);
    for (const src of [trial.summary, report.summary]) {
      for (const [k, v] of Object.entries(src ?? {})) {
        if (typeof v === "number") run.summary[k] = v;
      }
    }
  } finally {
    await run.finish(report.status === "success" ? 0 : 1);
  }
  return report;
}
