/** The landing page: every project with its run counts and latest activity. */
import { listProjects } from "../api.js";
import { h } from "../element.js";
import { fmtTime } from "../format.js";
import { runsHref } from "../router.js";

export async function projectsPage(root: HTMLElement): Promise<() => void> {
  const projects = await listProjects();
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
              h("th", null, "last activity"),
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
  return () => {};
}
