/**
 * Length-prefixed frames over one QUIC bidirectional stream, used by both
 * ends of the QUIC hub link: frames are read in order (one at a time during
 * authentication, then pushed to a callback), and writes are synchronous
 * calls that are batched into one stream write per turn of the event loop
 * (one op per batch instead of one per message).
 * @module
 */
import { EdgeError } from "../errors.ts";
import { FrameDecoder } from "../message/mod.ts";

const enc = new TextEncoder();
/** Largest single stream write. */
const MAX_WRITE_BYTES = 1 << 20;

/** A framed duplex over a QUIC bidirectional stream. */
export class FramedStream {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #decoder: FrameDecoder;
  readonly #frames: Uint8Array[] = [];
  #ended = false;
  #error: unknown;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
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
    const body = enc.encode(text);
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, body.byteLength);
    this.#queue(head);
    this.#queue(body);
  }

  /** Queue already-framed bytes. */
  writeRaw(bytes: Uint8Array): void {
    this.#queue(bytes);
  }

  #queue(bytes: Uint8Array): void {
    if (this.#broken !== undefined) {
      throw new EdgeError("LINK_CLOSED", "the QUIC stream is closed");
    }
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.byteLength;
    if (!this.#writing) {
      this.#writing = true;
      queueMicrotask(() => void this.#flush());
    }
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const parts = this.#pending;
        this.#pending = [];
        let i = 0;
        while (i < parts.length) {
          let n = 0;
          let j = i;
          while (j < parts.length && (n === 0 || n < MAX_WRITE_BYTES)) {
            n += parts[j++].byteLength;
          }
          const buf = new Uint8Array(n);
          let off = 0;
          for (let k = i; k < j; k++) {
            buf.set(parts[k], off);
            off += parts[k].byteLength;
          }
          this.#pendingBytes -= n;
          this.#inFlight = n;
          await this.#writer.write(buf);
          this.#inFlight = 0;
          i = j;
        }
      }
    } catch (err) {
      this.#broken = err;
      this.#pending = [];
      this.#pendingBytes = 0;
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
    return this.#pendingBytes + this.#inFlight;
  }

  /** Stop reading and writing (the connection is closed separately). */
  release(): void {
    this.#broken ??= new Error("released");
    this.#reader.cancel().catch(() => {});
    this.#writer.abort().catch(() => {});
  }
}
