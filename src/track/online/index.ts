/**
 * Online mode: `init({ mode: "online" })` writes through the server (docs/api.md).
 *
 * - Server and key: `baseUrl` / `apiKey` init options, else `AMLTK_BASE_URL` / `AMLTK_API_KEY`.
 * - Write-ahead: every op (the run's create included) is appended to
 *   `<dir>/spool/<run>~<writer>/` before it is sent and removed only once the server
 *   acknowledged it, so a process that dies at any moment (kill -9 too) loses nothing that
 *   reached the outbox. `log` never waits on the network; ops are delivered in order, exactly
 *   once, with retries and backoff; at most one request per run every 500 ms while ops gather
 *   (`sendIntervalMs`), so a server takes a few larger requests instead of one per flush.
 * - `finish()` waits at most `finishTimeoutMs` (default 5 s) for the server, less when it is
 *   down; the rest stays spooled for the next online `init` with the same dir and server (in
 *   this process or another) or `amltk sync`.
 * - Data the server refuses (400/404/409) is never dropped: delivery of that run stops and
 *   `amltk sync` reports why.
 */
import { TrackError } from "../errors.js";
import { OnlineStore } from "./online-store.js";
import { deliverSpools } from "./sync.js";

export { OnlineStore, type OnlineStoreOptions } from "./online-store.js";
export { allDelivered, DEFAULT_FINISH_TIMEOUT_MS } from "./outbox.js";
export {
  deliverSpools,
  formatSyncReport,
  type SpoolReport,
  type SyncHandle,
  type SyncOptions,
} from "./sync.js";

export interface OnlineInit {
  dir: string;
  baseUrl?: string;
  apiKey?: string;
  resume?: "allow" | "must" | "never" | boolean;
  /**
   * The longest `finish()` waits for a server that does not answer, in ms (default 5 000, or
   * env `AMLTK_FINISH_TIMEOUT_MS`); see `OutboxOptions.finishTimeoutMs`.
   */
  finishTimeoutMs?: number;
}

/** The `finishTimeoutMs` option, else `AMLTK_FINISH_TIMEOUT_MS`, checked: a bad value is an error naming it. */
function finishTimeout(option: number | undefined): number | undefined {
  const raw = process.env.AMLTK_FINISH_TIMEOUT_MS;
  const [name, v] =
    option !== undefined
      ? ["finishTimeoutMs", option]
      : ["AMLTK_FINISH_TIMEOUT_MS", raw === undefined || raw === "" ? undefined : Number(raw)];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    const shown = option !== undefined ? String(option) : JSON.stringify(raw);
    throw new TrackError(`init: ${name} must be a number of milliseconds >= 0, got ${shown}`);
  }
  return v;
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
  const finishTimeoutMs = finishTimeout(o.finishTimeoutMs);
  const leftovers = deliverSpools({ dir: o.dir, onlyBaseUrl: baseUrl, apiKey });
  return new OnlineStore({
    leftovers,
    dir: o.dir,
    baseUrl,
    apiKey,
    resume: o.resume !== undefined && o.resume !== false && o.resume !== "never",
    finishTimeoutMs,
  });
}
