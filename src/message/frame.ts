/**
 * Length-prefixed framing for stream transports (QUIC): a 4-byte big-endian
 * length, then that many bytes of UTF-8 JSON. Pure and incremental.
 * @module
 */
import { EdgeError } from "../errors.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "./message.ts";

/** Prefix `payload` with its 4-byte big-endian length. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.byteLength);
  new DataView(out.buffer).setUint32(0, payload.byteLength);
  out.set(payload, 4);
  return out;
}

/** Incremental decoder: push chunks as they arrive, get whole frames back. */
export class FrameDecoder {
  #buf = new Uint8Array(0);
  readonly #max: number;

  /** @param maxBytes largest frame accepted @default 1 MiB */
  constructor(maxBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    this.#max = maxBytes;
  }

  /**
   * Add a chunk; returns every frame it completed.
   * @throws EdgeError `MESSAGE_INVALID` when a frame announces more than the limit
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const merged = new Uint8Array(this.#buf.byteLength + chunk.byteLength);
    merged.set(this.#buf);
    merged.set(chunk, this.#buf.byteLength);
    const frames: Uint8Array[] = [];
    let off = 0;
    while (merged.byteLength - off >= 4) {
      const len = new DataView(merged.buffer, merged.byteOffset + off)
        .getUint32(0);
      if (len > this.#max) {
        throw new EdgeError(
          "MESSAGE_INVALID",
          `frame of ${len} bytes exceeds the limit of ${this.#max} bytes`,
        );
      }
      if (merged.byteLength - off - 4 < len) break;
      frames.push(merged.slice(off + 4, off + 4 + len));
      off += 4 + len;
    }
    this.#buf = merged.slice(off);
    return frames;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.#buf.byteLength;
  }
}
