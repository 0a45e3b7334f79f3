/**
 * Editing a run from the page: its name, tags and notes, saved through `PATCH /api/runs/:id`
 * with the page's API key (a server with auth needs a write key; a keyless loopback
 * `amltk ui` takes it behind its Origin/Host checks). The form lives apart from the run's
 * header, so live updates of the header do not wipe what the user is typing.
 */
import { ApiError, editRun, type Run, type RunEdit } from "../api.js";
import { h } from "../element.js";

/** Tags typed as `a, b c` (commas or spaces), without empties or repeats, in order. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(/[,\s]+/).filter(Boolean))];
}

/** The fields that changed between the run and the form. */
function changes(run: Run, name: string, tags: string[], notes: string): RunEdit {
  const edit: RunEdit = {};
  if (name !== run.name) edit.name = name;
  if (tags.join("\n") !== run.tags.join("\n")) edit.tags = tags;
  if (notes !== (run.notes ?? "")) edit.notes = notes;
  return edit;
}

/** Why a save failed, in words a user can act on. */
function failure(e: unknown): string {
  if (e instanceof ApiError && e.status === 401)
    return "this server needs a write key to edit runs (set one with the key box)";
  if (e instanceof ApiError && e.status === 403) return `not allowed: ${e.message}`;
  return (e as Error).message;
}

/**
 * An "edit" disclosure with the run's name, tags and notes; `run()` is the run as the page
 * has it now, `saved` gets the run as the server stored it.
 */
export function runEditor(run: () => Run, saved: (r: Run) => void): HTMLElement {
  const name = h("input", { name: "edit-name", "aria-label": "name", style: "width:24em" });
  const tags = h("input", {
    name: "edit-tags",
    "aria-label": "tags",
    placeholder: "tags, comma or space separated",
    style: "width:24em",
  });
  const notes = h("textarea", { name: "edit-notes", "aria-label": "notes", rows: 4, cols: 60 });
  const status = h("span", { class: "muted edit-status", role: "status" });
  const fill = () => {
    const r = run();
    name.value = r.name;
    tags.value = r.tags.join(", ");
    notes.value = r.notes ?? "";
  };
  const save = async (e: Event) => {
    e.preventDefault();
    const newName = name.value.trim();
    if (!newName) {
      status.textContent = "a run needs a name";
      return;
    }
    const edit = changes(run(), newName, parseTags(tags.value), notes.value);
    if (Object.keys(edit).length === 0) {
      status.textContent = "nothing changed";
      return;
    }
    status.textContent = "saving…";
    try {
      const r = await editRun(run().id, edit);
      status.textContent = "saved";
      saved(r);
    } catch (err) {
      status.textContent = `not saved: ${failure(err)}`;
    }
  };
  const box = h(
    "details",
    { class: "run-edit" },
    h("summary", null, "edit name, tags, notes"),
    h(
      "form",
      { class: "edit-form", onsubmit: (e: Event) => void save(e) },
      h("label", null, "name ", name),
      h("label", null, "tags ", tags),
      h("label", null, "notes ", notes),
      h("span", null, h("button", { type: "submit", name: "edit-save" }, "save"), " ", status),
    ),
  );
  // Filled now, so the form is right the moment it opens ("toggle" fires a task later), and
  // again when opened: the form starts from the run as it is now (it may have changed live).
  fill();
  box.addEventListener("toggle", () => {
    if (box.open) {
      fill();
      status.textContent = "";
    }
  });
  return box;
}
