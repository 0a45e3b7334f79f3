/**
 * Online mode: `init({ mode: "online" })` writes through the server (docs/api.md).
 *
 * - Server and key: `baseUrl` / `apiKey` init options, else `AMLTK_BASE_URL` / `AMLTK_API_KEY`.
 * - `log` never waits on the network: ops queue in memory (bounded), spill to
 *   `<dir>/spool/<run>~<writer>/` when the bound is hit or the process exits, and are
 *   delivered in order, exactly once, with retries and backoff.
 * - `finish()` waits for delivery while the server answers and returns at once when it does
 *   not; the rest is delivered in the background, or by the next online `init` in the same
 *   dir, or by `amltk sync`.
 */
import { TrackError } from "../errors.js";
import { OnlineStore } from "./online-store.js";
import { deliverSpools } from "./sync.js";

export { OnlineStore, type OnlineStoreOptions } from "./online-store.js";
export { allDelivered } from "./outbox.js";
export { deliverSpools, type SyncHandle, type SyncOptions } from "./sync.js";

export interface OnlineInit {
  dir: string;
  baseUrl?: string;
  apiKey?: string;
  resume?: "allow" | "must" | "never" | boolean;
}

/** The store for an online run; also starts delivering spools that exited processes left. */
export function openOnlineStore(o: OnlineInit): OnlineStore {
  const raw = o.baseUrl ?? process.env.AMLTK_BASE_URL;
  if (!raw) {
    throw new TrackError(
      'init: mode "online" needs a server: pass { baseUrl } or set AMLTK_BASE_URL (see `amltk ui`)',
    );
  }
  let baseUrl: string;
  try {
    const u = new URL(raw);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
    baseUrl = u.href.replace(/\/+$/, "");
  } catch {
    throw new TrackError(`init: invalid server URL ${JSON.stringify(raw)}`);
  }
  const apiKey = o.apiKey ?? process.env.AMLTK_API_KEY;
  deliverSpools({ dir: o.dir, onlyBaseUrl: baseUrl, apiKey });
  return new OnlineStore({
    dir: o.dir,
    baseUrl,
    apiKey,
    resume: o.resume !== undefined && o.resume !== false && o.resume !== "never",
  });
}
