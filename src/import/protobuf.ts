/**
 * A minimal protobuf wire-format reader: enough to walk W&B's `wandb_internal.Record` without
 * its `.proto` file or a protobuf dependency. Fields come back raw (by number and wire type);
 * the record mapping (`wandb-records.ts`) decides what each number means.
 */
import { AmltkError } from "../shared/errors.js";

/** One field as it appears on the wire. */
export type WireField =
  | { no: number; wire: 0; value: bigint }
  | { no: number; wire: 1; value: Uint8Array }
  | { no: number; wire: 2; value: Uint8Array }
  | { no: number; wire: 5; value: Uint8Array };

/** Thrown for bytes that are not a valid protobuf message. Code `bad_protobuf`. */
export class ProtobufError extends AmltkError<"bad_protobuf"> {
  override name = "ProtobufError";
  constructor(message: string) {
    super("bad_protobuf", message);
  }
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new ProtobufError(`varint runs past the end at byte ${pos}`);
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
  throw new ProtobufError(`varint longer than 10 bytes at byte ${pos}`);
}

/** Splits a message into its fields, in wire order (repeated fields appear several times). */
export function decodeFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, afterTag] = readVarint(buf, pos);
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    pos = afterTag;
    if (no === 0) throw new ProtobufError(`field number 0 at byte ${pos}`);
    if (wire === 0) {
      const [value, next] = readVarint(buf, pos);
      out.push({ no, wire, value });
      pos = next;
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (pos + size > buf.length) throw new ProtobufError(`fixed field ${no} runs past the end`);
      out.push({ no, wire, value: buf.subarray(pos, pos + size) });
      pos += size;
    } else if (wire === 2) {
      const [len, next] = readVarint(buf, pos);
      const end = next + Number(len);
      if (end > buf.length) throw new ProtobufError(`field ${no} (${len} bytes) runs past the end`);
      out.push({ no, wire, value: buf.subarray(next, end) });
      pos = end;
    } else {
      throw new ProtobufError(`unsupported wire type ${wire} for field ${no} at byte ${pos}`);
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
  /** A varint as a signed 64-bit int (int32/int64 encode negatives as 10-byte two's complement). */
  int(no: number): number | undefined {
    const f = this.last(no);
    return f?.wire === 0 ? Number(BigInt.asIntN(64, f.value)) : undefined;
  }
  double(no: number): number | undefined {
    const f = this.last(no);
    if (f?.wire !== 1) return undefined;
    return new DataView(f.value.buffer, f.value.byteOffset, 8).getFloat64(0, true);
  }
}
