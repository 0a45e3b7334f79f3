/**
 * The dashboard's entry: hash routing between the projects list, a project's runs and one
 * run. Each page returns a cleanup (closing its live subscription and charts).
 */
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { ApiError, dropEarly } from "./api.js";
import { h } from "./element.js";
import { comparePage } from "./pages/compare.js";
import { projectsPage } from "./pages/projects.js";
import { runPage } from "./pages/run.js";
import { runsPage } from "./pages/runs.js";
import { markOnce } from "./perf.js";
import { parseHash, runsHref } from "./router.js";
import { installTheme } from "./theme.js";

markOnce("amltk:app-start");
installTheme(document.querySelector("header.top")!);
const app = document.getElementById("app")!;
const crumbs = document.getElementById("crumbs")!;
let cleanup: (() => void) | null = null;
let navigation = 0;

async function route(): Promise<void> {
  const nav = ++navigation;
  cleanup?.();
  cleanup = null;
  const r = parseHash(location.hash);
  crumbs.replaceChildren(
    r.page === "runs" || r.page === "compare"
      ? h("a", { href: runsHref(r.project) }, r.project)
      : "",
  );
  document.body.dataset.page = r.page;
  try {
    const done =
      r.page === "runs"
        ? await runsPage(app, r.project, r.params)
        : r.page === "run"
          ? await runPage(app, r.id, r.params)
          : r.page === "compare"
            ? await comparePage(app, r.project, r.params)
            : await projectsPage(app);
    // A newer navigation started while this page loaded: drop this one.
    if (nav !== navigation) done();
    else cleanup = done;
  } catch (e) {
    if (nav !== navigation) return;
    if (e instanceof ApiError && e.status === 401) app.replaceChildren(keyForm());
    else app.replaceChildren(h("div", { class: "error", role: "alert" }, (e as Error).message));
  } finally {
    // Requests index.html started are for the first page only: later pages fetch fresh data.
    dropEarly();
  }
}

/** A server started with `--auth-reads` needs an API key for reads; it is kept in this browser. */
function keyForm(): HTMLElement {
  const input = h("input", {
    name: "apiKey",
    type: "password",
    placeholder: "amltk_…",
    style: "width:24em",
  });
  return h(
    "form",
    {
      class: "toolbar",
      onsubmit: (e: Event) => {
        e.preventDefault();
        localStorage.setItem("amltk.apiKey", input.value.trim());
        void route();
      },
    },
    h("span", { class: "error", role: "alert" }, "This server needs an API key to read."),
    input,
    h("button", { type: "submit" }, "use key"),
  );
}

window.addEventListener("hashchange", () => void route());
void route();
