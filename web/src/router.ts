/**
 * Hash routing: `#/` projects, `#/p/<project>?<view state>` runs, `#/run/<id>` one run,
 * `#/p/<project>/compare?ids=a,b` runs side by side.
 * View state (columns, sort, filter, chart options) lives in the hash's query so that a
 * view can be bookmarked and shared, and a reload restores it.
 */

export type Route =
  | { page: "projects" }
  | { page: "runs"; project: string; params: URLSearchParams }
  | { page: "run"; id: string; params: URLSearchParams }
  | { page: "compare"; project: string; params: URLSearchParams };

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, "");
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "p" && parts[1] && parts[2] === "compare")
    return { page: "compare", project: parts[1], params };
  if (parts[0] === "p" && parts[1]) return { page: "runs", project: parts[1], params };
  if (parts[0] === "run" && parts[1]) return { page: "run", id: parts[1], params };
  return { page: "projects" };
}

export function runsHref(project: string, params?: URLSearchParams): string {
  const q = params?.toString();
  return `#/p/${encodeURIComponent(project)}${q ? `?${q}` : ""}`;
}

export function runHref(id: string): string {
  return `#/run/${encodeURIComponent(id)}`;
}

/**
 * Rewrites the current hash's query without a navigation: the page already shows the new
 * state, so re-rendering from `hashchange` would only throw away work.
 */
export function replaceParams(params: URLSearchParams): void {
  const raw = location.hash.replace(/^#/, "");
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const s = params.toString();
  history.replaceState(null, "", `#${path}${s ? `?${s}` : ""}`);
}
