/**
 * Writes the framing of W&B's `.wandb` file: the 7-byte header (`:W&B`, magic 0xBEE1,
 * version 0), then LevelDB's log format: 32 KiB blocks of chunks, each with a 7-byte header
 * `crc32 u32 LE | length u16 LE | type u8` (FULL, or FIRST, MIDDLE..., LAST for a record that
 * does not fit the rest of its block), a block's tail under 7 bytes zero-filled. No npm library
 * writes (or reads) this format, so it is done here, beside the reader in
 * `src/import/leveldb-log.ts`; W&B's CRC is zlib's CRC-32 over the type byte then the payload.
 *
 * Bytes are gathered in a buffer and written in large pieces; memory stays at that buffer.
 *
 * @module
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { BLOCK_SIZE, crc32 } from "../import/leveldb-log.js";

const CHUNK_HEADER = 7;
const FILE_HEADER = Uint8Array.from([0x3a, 0x57, 0x26, 0x42, 0xe1, 0xbe, 0x00]);
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;
/** Bytes gathered before one write to the file. */
const FLUSH_AT = 1 << 20;

export class WandbLogWriter {
  private readonly fd: number;
  private buf = Buffer.alloc(FLUSH_AT + BLOCK_SIZE);
  private used = 0;
  /** Bytes of the file so far (written and buffered): where the next chunk lands in its block. */
  private size = 0;
  private closed = false;

  /** Creates (or truncates) `file` and writes the W&B header. */
  constructor(readonly file: string) {
    this.fd = openSync(file, "w");
    this.put(FILE_HEADER);
  }

  /** Appends one record's payload, split into chunks at block edges. */
  append(payload: Uint8Array): void {
    if (this.closed) throw new Error(`${this.file}: the writer is closed`);
    let rest = payload;
    let first = true;
    do {
      let left = BLOCK_SIZE - (this.size % BLOCK_SIZE);
      if (left < CHUNK_HEADER) {
        // No room for a chunk header: LevelDB pads the block's tail with zeros.
        this.put(new Uint8Array(left));
        left = BLOCK_SIZE;
      }
      const take = Math.min(rest.length, left - CHUNK_HEADER);
      const last = take === rest.length;
      const type = first && last ? FULL : first ? FIRST : last ? LAST : MIDDLE;
      this.putChunk(type, rest.subarray(0, take));
      rest = rest.subarray(take);
      first = false;
    } while (rest.length > 0);
  }

  /** Writes what is buffered, syncs the file to disk and closes it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.flush();
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
    }
  }

  /** Closes the file without syncing (after a failure; the caller removes it). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private putChunk(type: number, chunk: Uint8Array): void {
    const head = Buffer.alloc(CHUNK_HEADER);
    head.writeUInt32LE(crc32(chunk, crc32(Uint8Array.of(type))), 0);
    head.writeUInt16LE(chunk.length, 4);
    head.writeUInt8(type, 6);
    this.put(head);
    this.put(chunk);
  }

  private put(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buf.length) {
      this.flush();
      if (bytes.length > this.buf.length) this.buf = Buffer.alloc(bytes.length);
    }
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
    this.size += bytes.length;
    if (this.used >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }
}
