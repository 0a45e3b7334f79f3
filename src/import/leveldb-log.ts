/**
 * Reads the framing of W&B's `.wandb` file: a 7-byte header, then LevelDB's log format
 * (32 KiB blocks; chunks with a 7-byte header `crc32 u32 LE | length u16 LE | type u8`;
 * a record is one FULL chunk or FIRST, MIDDLE..., LAST). W&B's CRC is plain CRC-32 (zlib's),
 * over the type byte then the payload, not LevelDB's masked CRC-32C. No npm library reads (or
 * writes) this framing, so it is done here; the writer is `src/export/leveldb-writer.ts`.
 */
import { type FileHandle, open } from "node:fs/promises";
import * as zlib from "node:zlib";
import { WandbLogError } from "./errors.js";

export const BLOCK_SIZE = 32 * 1024;
const CHUNK_HEADER = 7;
const FILE_HEADER = Uint8Array.from([0x3a, 0x57, 0x26, 0x42, 0xe1, 0xbe, 0x00]);
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;

/** zlib's own CRC-32 (Node 20.15+); the table below only serves older Node 20 releases. */
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as zlib), continuing from `crc`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  // Node 20's zlib.crc32 answers 0 for an empty view of an empty buffer, whatever `crc` is.
  if (bytes.length === 0) return crc >>> 0;
  if (zlibCrc32) return zlibCrc32(bytes, crc);
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** One reassembled record payload and the file offset of its first chunk. */
export interface LogRecord {
  offset: number;
  payload: Uint8Array;
}

/**
 * Yields each record's raw bytes, block by block (memory stays at one block plus the record
 * being assembled). Throws `WandbLogError` at the first damage, after yielding the records before it.
 */
export async function* readLogRecords(file: string): AsyncGenerator<LogRecord> {
  const fh = await open(file, "r");
  try {
    const head = new Uint8Array(FILE_HEADER.length);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < head.length || !head.every((b, i) => b === FILE_HEADER[i])) {
      throw new WandbLogError(
        "not a W&B log (expected the :W&B header, magic 0xBEE1, version 0)",
        "bad_header",
        file,
        0,
      );
    }
    const blocks = readBlocks(fh);
    let blockStart = 0;
    let pending: Uint8Array[] | null = null;
    let pendingOffset = 0;
    for (;;) {
      const next = await blocks.next();
      if (next.done) break;
      const block = next.value;
      const n = block.length;
      if (n === 0) break;
      let pos = blockStart === 0 ? FILE_HEADER.length : 0;
      while (pos + CHUNK_HEADER <= n) {
        const at = blockStart + pos;
        const view = new DataView(block.buffer, block.byteOffset + pos, CHUNK_HEADER);
        const crc = view.getUint32(0, true);
        const len = view.getUint16(4, true);
        const type = view.getUint8(6);
        if (crc === 0 && len === 0 && type === 0) {
          // Zero padding (a preallocated or zero-filled tail): nothing more in this block.
          break;
        }
        if (pos + CHUNK_HEADER + len > BLOCK_SIZE) {
          throw new WandbLogError(
            `chunk of ${len} bytes crosses its 32 KiB block`,
            "bad_chunk",
            file,
            at,
          );
        }
        if (pos + CHUNK_HEADER + len > n) {
          throw new WandbLogError(`file ends inside a ${len}-byte chunk`, "truncated", file, at);
        }
        const payload = block.subarray(pos + CHUNK_HEADER, pos + CHUNK_HEADER + len);
        const actual = crc32(payload, crc32(block.subarray(pos + 6, pos + 7)));
        if (actual !== crc) {
          throw new WandbLogError(
            `CRC mismatch (stored ${hex(crc)}, computed ${hex(actual)}) in a ${len}-byte chunk`,
            "crc_mismatch",
            file,
            at,
          );
        }
        if (type === FULL || type === FIRST) {
          if (pending) {
            throw new WandbLogError(
              "new record starts before the previous one ended",
              "bad_chunk",
              file,
              at,
            );
          }
          if (type === FULL) yield { offset: at, payload: payload.slice() };
          else {
            pending = [payload.slice()];
            pendingOffset = at;
          }
        } else if (type === MIDDLE || type === LAST) {
          if (!pending)
            throw new WandbLogError(
              `continuation chunk (type ${type}) without a start`,
              "bad_chunk",
              file,
              at,
            );
          pending.push(payload.slice());
          if (type === LAST) {
            yield { offset: pendingOffset, payload: concat(pending) };
            pending = null;
          }
        } else {
          throw new WandbLogError(`unknown chunk type ${type}`, "bad_chunk", file, at);
        }
        pos += CHUNK_HEADER + len;
      }
      if (n < BLOCK_SIZE) {
        // Last (partial) block: leftover bytes that are not zero padding mean a cut-off header.
        const rest = block.subarray(pos, n);
        if (rest.some((b) => b !== 0)) {
          throw new WandbLogError(
            "file ends inside a chunk header",
            "truncated",
            file,
            blockStart + pos,
          );
        }
        break;
      }
      blockStart += BLOCK_SIZE;
    }
    if (pending) {
      throw new WandbLogError(
        "file ends inside a multi-chunk record",
        "truncated",
        file,
        pendingOffset,
      );
    }
  } finally {
    await fh.close();
  }
}

/** Blocks read this many at a time: one read per MiB instead of one per 32 KiB block. */
const BLOCKS_PER_READ = 32;

/**
 * The file's 32 KiB blocks in order (the last one possibly shorter), as views of one reused
 * buffer: a view is valid until the next one is asked for (payloads are copied out).
 */
async function* readBlocks(fh: FileHandle): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(BLOCK_SIZE * BLOCKS_PER_READ);
  for (let at = 0; ; at += buf.length) {
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, at + n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    for (let b = 0; b < n; b += BLOCK_SIZE) yield buf.subarray(b, Math.min(b + BLOCK_SIZE, n));
    if (n < buf.length) return;
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
