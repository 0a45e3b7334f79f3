/**
 * A Vite plugin that puts the built script and stylesheet into index.html itself.
 *
 * WHY: on a cold load the page's critical path was HTML -> (new connection) -> script request ->
 * script. The server is single-threaded and index.html starts the runs and series requests
 * early, so the script request waited behind those queries (bench/ui.ts measured the script
 * arriving ~115 ms after the HTML). Inline, the script compiles while the server computes the
 * data. The whole app is ~85 kB (~35 kB gzipped), so one uncached document costs less than
 * the extra round trips on the loopback or LAN this dashboard is served on.
 */
import type { Plugin, Rollup } from "vite";

/** `</script` or `</style` inside the inlined text would end the element early. */
const escapeEnd = (text: string, tag: string) =>
  text.replace(new RegExp(`</(${tag})`, "gi"), "<\\/$1");

export function inlineAssets(): Plugin {
  return {
    name: "amltk-inline-assets",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(html, ctx) {
        const bundle = ctx.bundle;
        if (!bundle) return html;
        let out = html;
        for (const [file, item] of Object.entries(bundle)) {
          const ref = `./${file}`;
          if (item.type === "chunk" && item.isEntry && file.endsWith(".js")) {
            const tag = new RegExp(
              `<script type="module"[^>]*src="${escapeRe(ref)}"[^>]*></script>`,
            );
            if (!tag.test(out)) continue;
            const code = escapeEnd((item as Rollup.OutputChunk).code, "script");
            out = out.replace(tag, () => `<script type="module">${code}</script>`);
            delete bundle[file];
          } else if (item.type === "asset" && file.endsWith(".css")) {
            const tag = new RegExp(`<link rel="stylesheet"[^>]*href="${escapeRe(ref)}"[^>]*>`);
            if (!tag.test(out)) continue;
            const css = escapeEnd(String((item as Rollup.OutputAsset).source), "style");
            out = out.replace(tag, () => `<style>${css}</style>`);
            delete bundle[file];
          }
        }
        return out;
      },
    },
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
