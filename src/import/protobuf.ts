/**
 * Protobuf access to W&B's `wandb_internal.Record` without its `.proto` file or generated code:
 * @bufbuild/protobuf's `BinaryReader` splits a message into raw fields (by number and wire
 * type), `Message` reads them by number, and `MessageWriter` (on `BinaryWriter`) writes them.
 * The record mapping (`wandb-records.ts`) decides what each number means.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { AmltkError } from "../shared/errors.js";

/** One field as it appears on the wire; varints as 64-bit unsigned bigints. */
export type WireField =
  | { no: number; wire: 0; value: bigint }
  | { no: number; wire: 1; value: Uint8Array }
  | { no: number; wire: 2; value: Uint8Array }
  | { no: number; wire: 5; value: Uint8Array };

/** Thrown for bytes that are not a valid protobuf message. Code `bad_protobuf`. */
export class ProtobufError extends AmltkError<"bad_protobuf"> {
  override name = "ProtobufError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("bad_protobuf", message, options);
  }
}

function readField(r: BinaryReader, no: number, wire: WireType, at: number): WireField {
  switch (wire) {
    case WireType.Varint:
      return { no, wire: 0, value: BigInt(r.uint64()) };
    case WireType.Bit64:
      return { no, wire: 1, value: r.skip(wire) };
    case WireType.Bit32:
      return { no, wire: 5, value: r.skip(wire) };
    case WireType.LengthDelimited:
      return { no, wire: 2, value: r.bytes() };
    default:
      // Groups (3/4) are deprecated and never written by wandb; anything else is not protobuf.
      throw new ProtobufError(`unsupported wire type ${wire} for field ${no} at byte ${at}`);
  }
}

/** Splits a message into its fields, in wire order (repeated fields appear several times). */
export function decodeFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  const r = new BinaryReader(buf);
  while (r.pos < r.len) {
    const at = r.pos;
    try {
      const [no, wire] = r.tag();
      out.push(readField(r, no, wire, at));
    } catch (e) {
      if (e instanceof ProtobufError) throw e;
      throw new ProtobufError(`${(e as Error).message} in the field at byte ${at}`, { cause: e });
    }
  }
  return out;
}

const utf8 = new TextDecoder("utf-8");

/** A message viewed by field number: single (last occurrence) and repeated accessors with typed conversions. */
export class Message {
  readonly fields: WireField[];
  constructor(bytes: Uint8Array) {
    this.fields = decodeFields(bytes);
  }
  has(no: number): boolean {
    return this.fields.some((f) => f.no === no);
  }
  private last(no: number): WireField | undefined {
    // Protobuf says the last occurrence of a non-repeated field wins.
    for (let i = this.fields.length - 1; i >= 0; i--)
      if (this.fields[i]!.no === no) return this.fields[i];
    return undefined;
  }
  string(no: number): string | undefined {
    const f = this.last(no);
    return f?.wire === 2 ? utf8.decode(f.value) : undefined;
  }
  strings(no: number): string[] {
    return this.fields
      .filter((f) => f.no === no && f.wire === 2)
      .map((f) => utf8.decode(f.value as Uint8Array));
  }
  message(no: number): Message | undefined {
    const f = this.last(no);
    return f?.wire === 2 ? new Message(f.value) : undefined;
  }
  messages(no: number): Message[] {
    return this.fields
      .filter((f) => f.no === no && f.wire === 2)
      .map((f) => new Message(f.value as Uint8Array));
  }
  /** A varint as a signed 64-bit bigint, exact beyond 2^53. */
  bigint(no: number): bigint | undefined {
    const f = this.last(no);
    return f?.wire === 0 ? BigInt.asIntN(64, f.value) : undefined;
  }
  /** A varint as a signed 64-bit int (int32/int64 encode negatives as 10-byte two's complement). */
  int(no: number): number | undefined {
    const v = this.bigint(no);
    return v === undefined ? undefined : Number(v);
  }
  double(no: number): number | undefined {
    const f = this.last(no);
    if (f?.wire !== 1) return undefined;
    return new DataView(f.value.buffer, f.value.byteOffset, 8).getFloat64(0, true);
  }
}

/**
 * Builds one message field by field. Proto3 leaves defaults (0, "") off the wire, and so do
 * these writers, so the bytes match what wandb's own encoder produces for the same values.
 */
export class MessageWriter {
  private readonly w = new BinaryWriter();

  /** An int32/int64/enum varint field; 0 is left out. */
  int(no: number, value: number | bigint): this {
    if (value !== 0 && value !== 0n) this.w.tag(no, WireType.Varint).int64(value);
    return this;
  }
  bool(no: number, value: boolean): this {
    if (value) this.w.tag(no, WireType.Varint).bool(true);
    return this;
  }
  /** A string field; undefined and "" are left out. */
  string(no: number, value: string | undefined | null): this {
    if (value) this.w.tag(no, WireType.LengthDelimited).string(value);
    return this;
  }
  /** A string field already UTF-8 encoded (the same bytes on the wire): for keys written often. */
  utf8(no: number, bytes: Uint8Array): this {
    this.w.tag(no, WireType.LengthDelimited).bytes(bytes);
    return this;
  }
  /** A repeated string field. */
  strings(no: number, values: readonly string[]): this {
    for (const v of values) this.w.tag(no, WireType.LengthDelimited).string(v);
    return this;
  }
  /** Opens a nested message field: the fields written until {@link end} go inside it. */
  begin(no: number): this {
    this.w.tag(no, WireType.LengthDelimited).fork();
    return this;
  }
  /** Closes the nested message {@link begin} opened. */
  end(): this {
    this.w.join();
    return this;
  }
  /** A nested message field (written even when empty: presence matters for messages). */
  message(no: number, body: MessageWriter | Uint8Array): this {
    const bytes = body instanceof MessageWriter ? body.finish() : body;
    this.w.tag(no, WireType.LengthDelimited).bytes(bytes);
    return this;
  }
  finish(): Uint8Array {
    return this.w.finish();
  }
}
