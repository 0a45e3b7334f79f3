/**
 * Saved views on the runs page: a menu of the project's views (open one: its view state
 * replaces the page's), "save as" under a name (the current hash query: filters, columns,
 * grouping, panels, zoom), and delete. Views live on the server (docs/api.md, "Saved views"),
 * so a name is shared with everyone reading the project.
 */
import { deleteView, listViews, putView, type SavedView } from "../api.js";
import { h } from "../element.js";
import { runsHref } from "../router.js";

/** The current page's view state: the hash's query. */
function currentState(): string {
  const q = location.hash.indexOf("?");
  return q < 0 ? "" : location.hash.slice(q + 1);
}

/** The saved views control of `project`'s runs page. */
export function savedViewsControl(project: string): HTMLElement {
  const status = h("span", { class: "muted views-status", role: "status" });
  const select = h("select", { name: "saved-view", "aria-label": "saved views" });
  let views: SavedView[] = [];
  const fill = () => {
    const cur = select.value;
    select.replaceChildren(
      h("option", { value: "" }, views.length ? "saved views…" : "no saved views"),
      ...views.map((v) => h("option", { value: v.name, selected: v.name === cur }, v.name)),
    );
  };
  const refresh = async () => {
    try {
      views = await listViews(project);
      fill();
    } catch (e) {
      status.textContent = (e as Error).message;
    }
  };
  const open = () => {
    const view = views.find((v) => v.name === select.value);
    if (view) location.hash = runsHref(project, new URLSearchParams(view.state));
  };
  const save = async () => {
    const name = prompt("Save this view as", select.value)?.trim();
    if (!name) return;
    try {
      await putView(project, name, currentState());
      status.textContent = `saved "${name}"`;
      await refresh();
      select.value = name;
    } catch (e) {
      status.textContent = `not saved: ${(e as Error).message}`;
    }
  };
  const remove = async () => {
    const name = select.value;
    if (!name || !confirm(`Delete the view "${name}" for everyone?`)) return;
    try {
      await deleteView(project, name);
      status.textContent = `deleted "${name}"`;
      select.value = "";
      await refresh();
    } catch (e) {
      status.textContent = `not deleted: ${(e as Error).message}`;
    }
  };
  select.addEventListener("change", open);
  fill();
  void refresh();
  return h(
    "span",
    { class: "saved-views" },
    select,
    h("button", { type: "button", name: "save-view", onclick: () => void save() }, "save view"),
    h("button", { type: "button", name: "delete-view", onclick: () => void remove() }, "delete"),
    status,
  );
}
