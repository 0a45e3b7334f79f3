/**
 * The W&B-online mode of the tracker: `init({ mode: "online", protocol: "wandb" })` logs to a
 * W&B-protocol server (W&B itself, or ours) through a write-ahead spool.
 *
 * - Server and key: `baseUrl` / `apiKey` init options, else `WANDB_BASE_URL` (default
 *   `https://api.wandb.ai`) / `WANDB_API_KEY`; `entity` else `WANDB_ENTITY`.
 * - Leftover spools are sent by the next such `init` in the same folder, or by
 *   `syncWandbSpools` (`amltk sync`).
 */
import { TrackError } from "../errors.js";
import { WandbOnlineStore } from "./wandb-store.js";

export { WandbSendError } from "./sender.js";
export { syncWandbSpools, type WandbSyncOptions, type WandbSyncReport } from "./sync.js";
export { type WandbOnlineOptions, WandbOnlineStore } from "./wandb-store.js";

/** W&B's own server, when neither an option nor `WANDB_BASE_URL` names one. */
export const WANDB_DEFAULT_BASE_URL = "https://api.wandb.ai";

/** What `init` passes to open a W&B-online store. */
export interface WandbOnlineInit {
  dir: string;
  project: string;
  entity?: string | null;
  baseUrl?: string;
  apiKey?: string;
  finishTimeoutMs?: number;
}

/** The store of a W&B-online run; a bad base URL is a `TrackError` naming it. */
export function openWandbOnlineStore(o: WandbOnlineInit): WandbOnlineStore {
  const raw = o.baseUrl ?? process.env.WANDB_BASE_URL ?? WANDB_DEFAULT_BASE_URL;
  let baseUrl: string;
  try {
    const u = new URL(raw);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
    baseUrl = u.href.replace(/\/+$/, "");
  } catch {
    throw new TrackError(`init: W&B base URL must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  return new WandbOnlineStore({
    dir: o.dir,
    baseUrl,
    apiKey: o.apiKey ?? process.env.WANDB_API_KEY,
    entity: o.entity ?? process.env.WANDB_ENTITY ?? null,
    finishTimeoutMs: o.finishTimeoutMs ?? 5_000,
    project: o.project,
  });
}
