/**
 * Console capture (`init({ console: "capture" })`): wraps `process.stdout.write` and
 * `process.stderr.write` so everything the process prints still reaches the terminal and is
 * also kept as lines for the run. Restored on finish; if someone wrapped the streams after us,
 * our wrapper stays in place but stops recording (unwrapping it would drop theirs).
 */
import type { ConsoleLine } from "../store/types.js";

type Stream = "stdout" | "stderr";
type Write = NodeJS.WriteStream["write"];

/** Longest kept line (characters); longer ones are cut with a marker. */
const MAX_LINE = 16_384;
/** Lines held between flushes; past this, lines are counted and dropped, never blocking output. */
const MAX_PENDING = 10_000;

export class ConsoleCapture {
  private lines: ConsoleLine[] = [];
  private readonly partial: Record<Stream, string> = { stdout: "", stderr: "" };
  private readonly decoders: Record<Stream, InstanceType<typeof TextDecoder>> = {
    stdout: new TextDecoder(),
    stderr: new TextDecoder(),
  };
  private readonly originals: [NodeJS.WriteStream, Write, Write][] = [];
  private dropped = 0;
  private active = true;

  constructor() {
    this.wrap(process.stdout, "stdout");
    this.wrap(process.stderr, "stderr");
  }

  private wrap(stream: NodeJS.WriteStream, name: Stream): void {
    const original = stream.write;
    const self = this;
    const wrapper = function (this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
      if (self.active) self.record(name, chunk, rest[0]);
      return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
    } as Write;
    stream.write = wrapper;
    this.originals.push([stream, original, wrapper]);
  }

  private record(name: Stream, chunk: unknown, encoding: unknown): void {
    let text: string;
    if (typeof chunk === "string") text = chunk;
    else if (chunk instanceof Uint8Array) {
      text =
        typeof encoding === "string" && encoding !== "utf8" && encoding !== "utf-8"
          ? Buffer.from(chunk).toString(encoding as BufferEncoding)
          : this.decoders[name].decode(chunk, { stream: true });
    } else return;
    const parts = (this.partial[name] + text).split("\n");
    this.partial[name] = parts.pop() ?? "";
    if (this.partial[name].length > MAX_LINE) {
      parts.push(this.partial[name]);
      this.partial[name] = "";
    }
    for (const p of parts) this.push(name, p.endsWith("\r") ? p.slice(0, -1) : p);
  }

  private push(stream: Stream, text: string): void {
    if (this.lines.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    const cut = text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}… [line cut]` : text;
    this.lines.push({ stream, timestamp: Date.now() / 1000, text: cut });
  }

  get pending(): boolean {
    return this.lines.length > 0 || this.dropped > 0;
  }

  /** Lines recorded since the last call. */
  take(): ConsoleLine[] {
    if (this.dropped > 0) {
      const n = this.dropped;
      this.dropped = 0;
      this.lines.push({
        stream: "stderr",
        timestamp: Date.now() / 1000,
        text: `[amltk: ${n} console lines dropped: output faster than the store]`,
      });
    }
    const out = this.lines;
    this.lines = [];
    return out;
  }

  /** Stops recording, keeps unfinished last lines, and puts the original writers back. */
  restore(): void {
    if (!this.active) return;
    for (const name of ["stdout", "stderr"] as const) {
      if (this.partial[name] !== "") this.push(name, this.partial[name]);
      this.partial[name] = "";
    }
    this.active = false;
    for (const [stream, original, wrapper] of this.originals) {
      if (stream.write === wrapper) stream.write = original;
    }
  }
}
