/**
 * Console output of an imported W&B run. wandb writes what a process printed as
 * `OutputRawRecord`s holding pieces of text (often a line, then its `"\n"` in a record of its
 * own), per stream. Pieces are joined per stream and cut at newlines into our console lines,
 * each stamped with the time of the piece that ended it.
 *
 * @module
 */
import type { ConsoleLine } from "../store/types.js";

export class ConsoleAssembler {
  private readonly partial: Record<ConsoleLine["stream"], { text: string; timestamp: number }> = {
    stdout: { text: "", timestamp: 0 },
    stderr: { text: "", timestamp: 0 },
  };

  /** Adds one piece; returns the lines it completed. */
  add(stream: ConsoleLine["stream"], timestamp: number, text: string): ConsoleLine[] {
    const part = this.partial[stream];
    if (part.text === "") part.timestamp = timestamp;
    const pieces = (part.text + text).split("\n");
    part.text = pieces.pop()!;
    const lines = pieces.map((t) => ({ stream, timestamp, text: stripCarriageReturn(t) }));
    if (part.text !== "") part.timestamp = timestamp;
    return lines;
  }

  /** The unfinished last line of each stream (a process may end without a newline). */
  flush(): ConsoleLine[] {
    const out: ConsoleLine[] = [];
    for (const stream of ["stdout", "stderr"] as const) {
      const part = this.partial[stream];
      if (part.text !== "") out.push({ stream, timestamp: part.timestamp, text: part.text });
      part.text = "";
    }
    return out.sort((a, b) => a.timestamp - b.timestamp);
  }
}

/** A terminal's `\r\n` line end: the `\r` is not part of the text. */
function stripCarriageReturn(text: string): string {
  return text.endsWith("\r") ? text.slice(0, -1) : text;
}
