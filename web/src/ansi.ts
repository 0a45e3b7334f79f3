/**
 * Console text with ANSI escape codes (what progress bars and coloured loggers write) as DOM:
 * SGR colours and bold become classes (`ansi-fg-1`, `ansi-bold`), every other escape sequence
 * is dropped, so a log reads as it did in the terminal and never shows raw `\x1b[31m`.
 */
import { h } from "./element.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC.
const ESCAPE = /\x1b\[([0-9;?]*)([A-Za-z])|\x1b[()][A-Za-z0-9]|\x1b./g;

interface Style {
  fg: number | null;
  bold: boolean;
}

/** Applies one SGR sequence's numbers (`1;31`) to the style. */
function applySgr(style: Style, params: string): void {
  const codes = params === "" ? [0] : params.split(";").map(Number);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === 0) {
      style.fg = null;
      style.bold = false;
    } else if (c === 1) style.bold = true;
    else if (c === 22) style.bold = false;
    else if (c >= 30 && c <= 37) style.fg = c - 30;
    else if (c >= 90 && c <= 97) style.fg = c - 90 + 8;
    else if (c === 39) style.fg = null;
    // 256-colour and RGB forms: skip their arguments, keep the default colour.
    else if (c === 38 || c === 48) i += codes[i + 1] === 5 ? 2 : 4;
  }
}

/**
 * The nodes of one line of console text: plain text, and spans for styled parts.
 *
 * @example
 * ```ts
 * ansiNodes("\x1b[31merror\x1b[0m: disk full"); // [<span class="ansi-fg-1">error</span>, ": disk full"]
 * ```
 */
export function ansiNodes(text: string): (Node | string)[] {
  const out: (Node | string)[] = [];
  const style: Style = { fg: null, bold: false };
  let at = 0;
  const push = (s: string) => {
    // A carriage return redraws a terminal line: keep what was written last.
    const part = s.slice(s.lastIndexOf("\r") + 1);
    if (!part) return;
    const cls = [style.fg === null ? "" : `ansi-fg-${style.fg}`, style.bold ? "ansi-bold" : ""]
      .filter(Boolean)
      .join(" ");
    out.push(cls ? h("span", { class: cls }, part) : part);
  };
  for (const m of text.matchAll(ESCAPE)) {
    push(text.slice(at, m.index));
    if (m[2] === "m") applySgr(style, m[1] ?? "");
    at = m.index + m[0].length;
  }
  push(text.slice(at));
  return out;
}
