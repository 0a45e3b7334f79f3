/** The landing page: every project with its run counts and latest activity. */
import { listProjects } from "../api.js";
import { h } from "../element.js";
import { fmtTime } from "../format.js";
import { subscribe, throttle } from "../live.js";
import { runsHref } from "../router.js";

/** Draws the projects and keeps them live (every project's stream); returns the stop function. */
export async function projectsPage(root: HTMLElement): Promise<() => void> {
  const page = { left: false };
  await drawProjects(root, page);
  const refresh = throttle(() => drawProjects(root, page), 1000);
  // "" is every project's stream: a new project or run shows up without a reload.
  const unsubscribe = subscribe("", () => refresh());
  return () => {
    page.left = true;
    unsubscribe();
  };
}

/**
 * Draws the list unless the user left the page while it loaded: a refresh still in flight then
 * would paint the projects over the page the user went to.
 */
async function drawProjects(root: HTMLElement, page: { left: boolean }): Promise<void> {
  const projects = await listProjects();
  if (page.left) return;
  root.replaceChildren(
    h("h2", null, "Projects"),
    projects.length === 0
      ? h(
          "p",
          { class: "muted" },
          "No runs yet. Track one with init() from amltk/track, or run `amltk demo`.",
        )
      : h(
          "table",
          { class: "runs projects" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h("th", null, "project"),
              h("th", null, "runs"),
              h("th", null, "running"),
              h("th", null, "last activity (UTC)"),
            ),
          ),
          h(
            "tbody",
            null,
            ...projects.map((p) =>
              h(
                "tr",
                { "data-project": p.name },
                h("td", null, h("a", { href: runsHref(p.name) }, p.name)),
                h("td", { class: "num" }, p.runs),
                h("td", { class: "num" }, p.running),
                h("td", null, fmtTime(p.lastActivity)),
              ),
            ),
          ),
        ),
  );
}
