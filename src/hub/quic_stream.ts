/**
 * Length-prefixed frames over one QUIC bidirectional stream, used by both
 * ends of the QUIC hub link: frames are read in order (one at a time during
 * authentication, then pushed to a callback), and writes are synchronous
 * calls that encode straight into a buffer written once per turn of the
 * event loop (one op per batch instead of one per message; two buffers
 * take turns, so nothing is copied).
 * @module
 */
import { EdgeError } from "../errors.ts";
import { FrameDecoder } from "../message/mod.ts";

const enc = new TextEncoder();
/** Largest single stream write. */
const MAX_WRITE_BYTES = 1 << 20;
/** Size of each of the two write buffers (they grow for big batches). */
const INITIAL_BUFFER_BYTES = 64 << 10;
/** Largest write buffer kept for reuse. */
const MAX_SPARE_BYTES = 4 << 20;

/** A framed duplex over a QUIC bidirectional stream. */
export class FramedStream {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #decoder: FrameDecoder;
  readonly #frames: Uint8Array[] = [];
  #ended = false;
  #error: unknown;
  /** Frames waiting to be written, and how many bytes of it are used. */
  #out: Uint8Array = new Uint8Array(INITIAL_BUFFER_BYTES);
  #outView: DataView = new DataView(this.#out.buffer);
  #outLen = 0;
  /** The other buffer of the pair, free while no write holds it. */
  #spare: Uint8Array | undefined;
  #inFlight = 0;
  #writing = false;
  #broken: unknown;
  #flushWaiters: (() => void)[] = [];

  /** @param maxFrameBytes largest frame accepted while reading */
  constructor(stream: Deno.QuicBidirectionalStream, maxFrameBytes: number) {
    this.#reader = stream.readable.getReader();
    this.#writer = stream.writable.getWriter();
    this.#decoder = new FrameDecoder(maxFrameBytes);
  }

  async #fill(): Promise<boolean> {
    if (this.#ended) return false;
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await this.#reader.read();
    } catch (err) {
      this.#error = err;
      this.#ended = true;
      return false;
    }
    if (r.done) {
      this.#ended = true;
      return false;
    }
    for (const f of this.#decoder.push(r.value)) this.#frames.push(f);
    return true;
  }

  /** The next frame; `undefined` when the stream ended. Throws on a frame too large. */
  async readFrame(): Promise<Uint8Array | undefined> {
    while (this.#frames.length === 0) {
      if (!(await this.#fill())) return undefined;
    }
    return this.#frames.shift();
  }

  /**
   * Hand every further frame to `onFrame`, in order, until the stream ends
   * (resolves) or fails (rejects; a too-large frame is `MESSAGE_INVALID`).
   */
  async pipeFrames(onFrame: (frame: Uint8Array) => void): Promise<void> {
    for (;;) {
      while (this.#frames.length > 0) onFrame(this.#frames.shift()!);
      if (!(await this.#fill())) break;
    }
    if (this.#error !== undefined) throw this.#error;
  }

  /** Queue one frame carrying `text` (UTF-8). Throws `LINK_CLOSED` once broken. */
  writeText(text: string): void {
    this.#check();
    // A UTF-16 unit is at most 3 UTF-8 bytes: encode straight into the buffer.
    this.#reserve(4 + text.length * 3);
    const { written } = enc.encodeInto(
      text,
      this.#out.subarray(this.#outLen + 4),
    );
    this.#outView.setUint32(this.#outLen, written);
    this.#outLen += 4 + written;
    this.#schedule();
  }

  /** Queue already-framed bytes. */
  writeRaw(bytes: Uint8Array): void {
    this.#check();
    this.#reserve(bytes.byteLength);
    this.#out.set(bytes, this.#outLen);
    this.#outLen += bytes.byteLength;
    this.#schedule();
  }

  #check(): void {
    if (this.#broken !== undefined) {
      throw new EdgeError("LINK_CLOSED", "the QUIC stream is closed");
    }
  }

  /** Make room for `n` more bytes in the buffer being filled. */
  #reserve(n: number): void {
    if (this.#outLen + n <= this.#out.byteLength) return;
    const bigger = new Uint8Array(
      Math.max(this.#out.byteLength * 2, this.#outLen + n),
    );
    bigger.set(this.#out.subarray(0, this.#outLen));
    this.#setOut(bigger);
  }

  #setOut(buf: Uint8Array): void {
    this.#out = buf;
    this.#outView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  #schedule(): void {
    if (!this.#writing) {
      this.#writing = true;
      queueMicrotask(() => void this.#flush());
    }
  }

  async #flush(): Promise<void> {
    try {
      while (this.#outLen > 0) {
        // Swap buffers: QUIC reads this one while new frames fill the other.
        const buf = this.#out;
        const n = this.#outLen;
        this.#setOut(this.#spare ?? new Uint8Array(INITIAL_BUFFER_BYTES));
        this.#spare = undefined;
        this.#outLen = 0;
        this.#inFlight = n;
        for (let off = 0; off < n; off += MAX_WRITE_BYTES) {
          await this.#writer.write(
            buf.subarray(off, Math.min(n, off + MAX_WRITE_BYTES)),
          );
          this.#inFlight = n - Math.min(n, off + MAX_WRITE_BYTES);
        }
        // Keep it for the next swap, unless a huge message made it huge (or
        // QUIC took the memory).
        if (
          buf.byteLength >= INITIAL_BUFFER_BYTES &&
          buf.byteLength <= MAX_SPARE_BYTES
        ) this.#spare = buf;
      }
    } catch (err) {
      this.#broken = err;
      this.#outLen = 0;
      this.#inFlight = 0;
    } finally {
      this.#writing = false;
      for (const w of this.#flushWaiters.splice(0)) w();
    }
  }

  /** Resolves when everything queued so far was handed to QUIC. */
  flushed(): Promise<void> {
    if (!this.#writing) return Promise.resolve();
    return new Promise((r) => this.#flushWaiters.push(r));
  }

  /** Bytes queued or being written. */
  get bufferedAmount(): number {
    return this.#outLen + this.#inFlight;
  }

  /** Stop reading and writing (the connection is closed separately). */
  release(): void {
    this.#broken ??= new Error("released");
    this.#reader.cancel().catch(() => {});
    this.#writer.abort().catch(() => {});
  }
}
