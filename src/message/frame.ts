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

const EMPTY = new Uint8Array(0);

/** Incremental decoder: push chunks as they arrive, get whole frames back. */
export class FrameDecoder {
  #buf = EMPTY;
  readonly #max: number;

  /** @param maxBytes largest frame accepted @default 1 MiB */
  constructor(maxBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    this.#max = maxBytes;
  }

  /**
   * Add a chunk; returns every frame it completed. Frames may be views into
   * `chunk` (no copy): read them before reusing the chunk's memory.
   * @throws EdgeError `MESSAGE_INVALID` when a frame announces more than the limit
   */
  push(chunk: Uint8Array): Uint8Array[] {
    let data = chunk;
    if (this.#buf.byteLength > 0) {
      data = new Uint8Array(this.#buf.byteLength + chunk.byteLength);
      data.set(this.#buf);
      data.set(chunk, this.#buf.byteLength);
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const frames: Uint8Array[] = [];
    let off = 0;
    while (data.byteLength - off >= 4) {
      const len = view.getUint32(off);
      if (len > this.#max) {
        throw new EdgeError(
          "MESSAGE_INVALID",
          `frame of ${len} bytes exceeds the limit of ${this.#max} bytes`,
        );
      }
      if (data.byteLength - off - 4 < len) break;
      frames.push(data.subarray(off + 4, off + 4 + len));
      off += 4 + len;
    }
    this.#buf = off === data.byteLength ? EMPTY : data.slice(off);
    return frames;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.#buf.byteLength;
  }
}
