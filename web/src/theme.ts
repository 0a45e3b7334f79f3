/**
 * Light and dark mode. The choice is "auto" (follow the system's `prefers-color-scheme`, live),
 * "light" or "dark", kept in this browser; the page reads the resolved theme from
 * `<html data-theme>`, which style.css keys its dark colours on.
 */
import { h } from "./element.js";

export type ThemeChoice = "auto" | "light" | "dark";

const STORAGE_KEY = "amltk.theme";
const ORDER: ThemeChoice[] = ["auto", "dark", "light"];
const systemDark = () => window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;

export function themeChoice(): ThemeChoice {
  const v = localStorage.getItem(STORAGE_KEY);
  return v === "light" || v === "dark" ? v : "auto";
}

/** Sets `<html data-theme>` from the choice (and, for "auto", the system's scheme). */
export function applyTheme(choice: ThemeChoice = themeChoice()): void {
  const dark = choice === "dark" || (choice === "auto" && systemDark());
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  document.documentElement.dataset.themeChoice = choice;
}

/**
 * Applies the stored theme now, follows system changes while the choice is "auto", and puts
 * a toggle (auto → dark → light) into `bar`.
 */
export function installTheme(bar: HTMLElement): void {
  applyTheme();
  window
    .matchMedia?.("(prefers-color-scheme: dark)")
    .addEventListener("change", () => applyTheme());
  const label = (c: ThemeChoice) => (c === "auto" ? "◐ auto" : c === "dark" ? "● dark" : "○ light");
  const button = h("button", {
    type: "button",
    class: "theme-toggle",
    name: "theme",
    title: "colour theme: auto (system), dark or light",
  });
  button.textContent = label(themeChoice());
  button.addEventListener("click", () => {
    const next = ORDER[(ORDER.indexOf(themeChoice()) + 1) % ORDER.length]!;
    if (next === "auto") localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, next);
    button.textContent = label(next);
    applyTheme(next);
  });
  bar.append(button);
}
