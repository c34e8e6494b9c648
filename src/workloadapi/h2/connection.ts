/**
 * The server side of one HTTP/2 connection (RFC 9113) over a byte socket,
 * as much as a gRPC server needs: the connection preface and SETTINGS,
 * request streams (HEADERS + CONTINUATION, DATA, RST_STREAM), flow control
 * in both directions, PING, GOAWAY; no server push, priorities ignored.
 *
 * Requests arrive as {@link H2Stream}s through `onStream`; the handler sets
 * the stream's callbacks synchronously and answers with `respond`, `write`
 * and `end` (trailers). Sending respects the peer's connection and stream
 * windows and frame size; received DATA is acknowledged at once.
 * Everything written in one turn of the event loop goes out in one socket
 * write.
 * @module
 */
import { schedule } from "../../clock.ts";
import {
  ErrorCode,
  Flag,
  frame,
  FrameType,
  HEADER_LENGTH,
  MAX_WINDOW,
  PREFACE,
  Setting,
  settingsFrame,
  u32s,
} from "./frame.ts";
import { type HeaderField, HpackDecoder } from "./hpack.ts";
import {
  DEFAULT_WINDOW,
  H2Stream,
  type StreamEnd,
  type StreamOwner,
} from "./stream.ts";

/** The socket operations the connection uses (`UnixConnection` of `src/net/unix_server.ts`, or a `node:net` Socket). */
export interface ByteSocket {
  write(data: Uint8Array): unknown;
  end(): unknown;
  destroy(): unknown;
  on(event: "data", cb: (chunk: Uint8Array) => void): unknown;
  on(event: "close" | "error", cb: () => void): unknown;
}

/** Options of {@link H2ServerConnection}. */
export interface H2ConnectionOptions {
  /** A new request stream; set its callbacks before returning. */
  onStream(stream: H2Stream): void;
  /** Called once when the socket has closed. */
  onClose?(): void;
  /** A handler threw: the connection is failed with INTERNAL_ERROR. */
  onError?(err: unknown): void;
  /** SETTINGS_MAX_CONCURRENT_STREAMS. @default 1000 */
  maxConcurrentStreams?: number;
  /** Largest request header list (HPACK-decoded size). @default 65536 */
  maxHeaderListSize?: number;
  /**
   * After a protocol error the socket is half-closed; a peer that does not
   * close its side within this time is cut off. @default 1000
   */
  failedCloseMs?: number;
}

/** A connection-level protocol error: GOAWAY with `code`, then close. */
class ConnectionError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const OUR_MAX_FRAME = 16_384;

/** The server side of one HTTP/2 connection. */
export class H2ServerConnection implements StreamOwner {
  #socket: ByteSocket;
  #o: Required<Omit<H2ConnectionOptions, "onClose" | "onError">> & {
    onClose?: () => void;
    onError?: (err: unknown) => void;
  };
  #hpack = new HpackDecoder();
  #streams = new Map<number, H2Stream>();
  #blocked = new Set<H2Stream>();
  #lastStreamId = 0;
  #in?: Uint8Array;
  #prefaceSeen = false;
  #continuation?: {
    streamId: number;
    endStream: boolean;
    chunks: Uint8Array[];
    size: number;
  };
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrame = 16_384;
  #sendWindow = DEFAULT_WINDOW;
  #recvWindow = DEFAULT_WINDOW;
  #out: Uint8Array[] = [];
  #flushScheduled = false;
  #goaway = false;
  #closed = false;

  constructor(socket: ByteSocket, options: H2ConnectionOptions) {
    this.#socket = socket;
    this.#o = {
      maxConcurrentStreams: 1000,
      maxHeaderListSize: 65_536,
      failedCloseMs: 1000,
      ...options,
    };
    socket.on("data", (chunk) => this.#receive(chunk));
    socket.on("error", () => {}); // "close" follows
    socket.on("close", () => this.#lost());
    this.#send(settingsFrame([
      [Setting.MAX_CONCURRENT_STREAMS, this.#o.maxConcurrentStreams],
      [Setting.MAX_HEADER_LIST_SIZE, this.#o.maxHeaderListSize],
    ]));
  }

  /** Open streams. */
  get streams(): number {
    return this.#streams.size;
  }

  /** True once the socket has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Graceful close: GOAWAY (no new streams); the socket is ended once the
   * open streams are over.
   */
  goaway(): void {
    if (this.#goaway || this.#closed) return;
    this.#goaway = true;
    this.#send(
      frame(FrameType.GOAWAY, 0, 0, u32s(this.#lastStreamId, 0)),
    );
    this.#endIfIdle();
  }

  /** Close the socket now; open streams end as "lost". */
  destroy(): void {
    this.#socket.destroy();
    this.#lost();
  }

  // ---- receiving

  #receive(chunk: Uint8Array): void {
    if (this.#closed) return;
    let buf = chunk;
    if (this.#in) {
      buf = new Uint8Array(this.#in.length + chunk.length);
      buf.set(this.#in);
      buf.set(chunk, this.#in.length);
      this.#in = undefined;
    }
    let pos = 0;
    try {
      if (!this.#prefaceSeen) {
        const n = Math.min(buf.length, PREFACE.length);
        for (let i = 0; i < n; i++) {
          if (buf[i] !== PREFACE[i]) {
            throw new ConnectionError(
              ErrorCode.PROTOCOL_ERROR,
              "not an HTTP/2 connection preface",
            );
          }
        }
        if (buf.length < PREFACE.length) {
          this.#in = buf.slice();
          return;
        }
        this.#prefaceSeen = true;
        pos = PREFACE.length;
      }
      while (buf.length - pos >= HEADER_LENGTH) {
        const length = (buf[pos] << 16) | (buf[pos + 1] << 8) | buf[pos + 2];
        if (length > OUR_MAX_FRAME) {
          throw new ConnectionError(
            ErrorCode.FRAME_SIZE_ERROR,
            `frame of ${length} bytes`,
          );
        }
        if (buf.length - pos < HEADER_LENGTH + length) break;
        const type = buf[pos + 3];
        const flags = buf[pos + 4];
        const streamId = ((buf[pos + 5] & 0x7f) << 24 | buf[pos + 6] << 16 |
          buf[pos + 7] << 8 | buf[pos + 8]) >>> 0;
        const payload = buf.subarray(
          pos + HEADER_LENGTH,
          pos + HEADER_LENGTH + length,
        );
        pos += HEADER_LENGTH + length;
        this.#frame(type, flags, streamId, payload);
        if (this.#closed) return;
      }
    } catch (err) {
      if (err instanceof ConnectionError) this.#fail(err.code);
      else {
        this.#o.onError?.(err);
        this.#fail(ErrorCode.INTERNAL_ERROR);
      }
      return;
    }
    if (pos < buf.length) this.#in = buf.slice(pos);
  }

  #frame(type: number, flags: number, id: number, p: Uint8Array): void {
    const c = this.#continuation;
    if (c && (type !== FrameType.CONTINUATION || id !== c.streamId)) {
      throw new ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        "expected CONTINUATION",
      );
    }
    switch (type) {
      case FrameType.DATA:
        return this.#data(flags, id, p);
      case FrameType.HEADERS:
        return this.#headers(flags, id, p);
      case FrameType.CONTINUATION:
        return this.#moreHeaders(flags, id, p);
      case FrameType.PRIORITY:
        if (id === 0) throw this.#protocol("PRIORITY on stream 0");
        return;
      case FrameType.RST_STREAM:
        return this.#rst(id, p);
      case FrameType.SETTINGS:
        return this.#settings(flags, id, p);
      case FrameType.PUSH_PROMISE:
        throw this.#protocol("PUSH_PROMISE from a client");
      case FrameType.PING:
        if (id !== 0 || p.length !== 8) throw this.#protocol("bad PING");
        if (!(flags & Flag.ACK)) {
          this.#send(frame(FrameType.PING, Flag.ACK, 0, p.slice()));
        }
        return;
      case FrameType.GOAWAY:
        if (id !== 0) throw this.#protocol("GOAWAY on a stream");
        return; // the client opens no more streams; open ones go on
      case FrameType.WINDOW_UPDATE:
        return this.#windowUpdate(id, p);
      default:
        return; // unknown frame types are ignored
    }
  }

  #protocol(message: string): ConnectionError {
    return new ConnectionError(ErrorCode.PROTOCOL_ERROR, message);
  }

  /** Payload without padding (PADDED flag). */
  #unpad(flags: number, p: Uint8Array): Uint8Array {
    if (!(flags & Flag.PADDED)) return p;
    if (p.length < 1 || p[0] >= p.length) throw this.#protocol("bad padding");
    return p.subarray(1, p.length - p[0]);
  }

  #data(flags: number, id: number, p: Uint8Array): void {
    if (id === 0) throw this.#protocol("DATA on stream 0");
    this.#recvWindow -= p.length;
    if (this.#recvWindow < 0) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA overflow");
    }
    if (p.length > 0) {
      this.#recvWindow += p.length;
      this.#send(frame(FrameType.WINDOW_UPDATE, 0, 0, u32s(p.length)));
    }
    const s = this.#streams.get(id);
    if (!s || s.remoteEnded) {
      if (id > this.#lastStreamId) throw this.#protocol("DATA on idle stream");
      // a stream we closed or reset: late frames are ignored
      if (s) this.resetStream(s, ErrorCode.STREAM_CLOSED);
      return;
    }
    s.recvWindow -= p.length;
    if (s.recvWindow < 0) {
      this.resetStream(s, ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    const data = this.#unpad(flags, p);
    const end = (flags & Flag.END_STREAM) !== 0;
    if (!end && p.length > 0) {
      s.recvWindow += p.length;
      this.#send(frame(FrameType.WINDOW_UPDATE, 0, id, u32s(p.length)));
    }
    if (data.length > 0) s.onData?.(data);
    if (end && !s.closed) this.#remoteEnd(s);
  }

  #headers(flags: number, id: number, p: Uint8Array): void {
    if (id === 0 || id % 2 === 0) throw this.#protocol("bad HEADERS stream");
    let block = this.#unpad(flags, p);
    if (flags & Flag.PRIORITY) {
      if (block.length < 5) throw this.#protocol("short HEADERS");
      block = block.subarray(5);
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (flags & Flag.END_HEADERS) {
      this.#headerBlock(id, endStream, block);
    } else {
      this.#continuation = {
        streamId: id,
        endStream,
        chunks: [block.slice()],
        size: block.length,
      };
    }
  }

  #moreHeaders(flags: number, id: number, p: Uint8Array): void {
    const c = this.#continuation;
    if (!c) throw this.#protocol("unexpected CONTINUATION");
    c.chunks.push(p.slice());
    c.size += p.length;
    if (c.size > this.#o.maxHeaderListSize) {
      throw new ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        "header block too large",
      );
    }
    if (!(flags & Flag.END_HEADERS)) return;
    this.#continuation = undefined;
    const block = new Uint8Array(c.size);
    let at = 0;
    for (const chunk of c.chunks) {
      block.set(chunk, at);
      at += chunk.length;
    }
    this.#headerBlock(id, c.endStream, block);
  }

  #headerBlock(id: number, endStream: boolean, block: Uint8Array): void {
    let headers: HeaderField[];
    try {
      // always decoded: the dynamic table must follow every block
      headers = this.#hpack.decode(block);
    } catch (err) {
      throw new ConnectionError(
        ErrorCode.COMPRESSION_ERROR,
        (err as Error).message,
      );
    }
    const size = headers.reduce((n, [k, v]) => n + k.length + v.length + 32, 0);
    if (size > this.#o.maxHeaderListSize) {
      throw new ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        "header list too large",
      );
    }
    const open = this.#streams.get(id);
    if (open) {
      // trailers of the request
      if (!endStream || open.remoteEnded) {
        this.resetStream(open, ErrorCode.PROTOCOL_ERROR);
      } else this.#remoteEnd(open);
      return;
    }
    if (id <= this.#lastStreamId) return; // a stream already closed: ignored
    this.#lastStreamId = id;
    if (this.#goaway || this.#streams.size >= this.#o.maxConcurrentStreams) {
      this.#send(
        frame(FrameType.RST_STREAM, 0, id, u32s(ErrorCode.REFUSED_STREAM)),
      );
      return;
    }
    const s = new H2Stream(id, headers, this, this.#peerInitialWindow);
    this.#streams.set(id, s);
    this.#o.onStream(s);
    if (endStream && !s.closed) this.#remoteEnd(s);
  }

  #remoteEnd(s: H2Stream): void {
    s.remoteEnded = true;
    s.onEnd?.();
  }

  #rst(id: number, p: Uint8Array): void {
    if (id === 0) throw this.#protocol("RST_STREAM on stream 0");
    if (p.length !== 4) {
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "bad RST_STREAM");
    }
    if (id > this.#lastStreamId) {
      throw this.#protocol("RST_STREAM on idle stream");
    }
    const s = this.#streams.get(id);
    if (s) this.#closeStream(s, "reset");
  }

  #settings(flags: number, id: number, p: Uint8Array): void {
    if (id !== 0) throw this.#protocol("SETTINGS on a stream");
    if (flags & Flag.ACK) {
      if (p.length !== 0) {
        throw new ConnectionError(
          ErrorCode.FRAME_SIZE_ERROR,
          "SETTINGS ACK with payload",
        );
      }
      return;
    }
    if (p.length % 6 !== 0) {
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "bad SETTINGS");
    }
    const v = new DataView(p.buffer, p.byteOffset, p.length);
    for (let i = 0; i < p.length; i += 6) {
      const key = v.getUint16(i);
      const value = v.getUint32(i + 2);
      if (key === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) {
          throw new ConnectionError(
            ErrorCode.FLOW_CONTROL_ERROR,
            "window too large",
          );
        }
        const delta = value - this.#peerInitialWindow;
        this.#peerInitialWindow = value;
        for (const s of this.#streams.values()) {
          s.sendWindow += delta;
          if (s.sendWindow > MAX_WINDOW) {
            throw new ConnectionError(
              ErrorCode.FLOW_CONTROL_ERROR,
              "window overflow",
            );
          }
        }
      } else if (key === Setting.MAX_FRAME_SIZE) {
        if (value < 16_384 || value > 16_777_215) {
          throw this.#protocol("bad SETTINGS_MAX_FRAME_SIZE");
        }
        this.#peerMaxFrame = value;
      } else if (key === Setting.ENABLE_PUSH && value > 1) {
        throw this.#protocol("bad SETTINGS_ENABLE_PUSH");
      }
    }
    this.#send(frame(FrameType.SETTINGS, Flag.ACK, 0));
    this.#flushBlocked();
  }

  #windowUpdate(id: number, p: Uint8Array): void {
    if (p.length !== 4) {
      throw new ConnectionError(
        ErrorCode.FRAME_SIZE_ERROR,
        "bad WINDOW_UPDATE",
      );
    }
    const inc = new DataView(p.buffer, p.byteOffset, 4).getUint32(0) &
      MAX_WINDOW;
    if (id === 0) {
      if (inc === 0) throw this.#protocol("WINDOW_UPDATE of 0");
      this.#sendWindow += inc;
      if (this.#sendWindow > MAX_WINDOW) {
        throw new ConnectionError(
          ErrorCode.FLOW_CONTROL_ERROR,
          "window overflow",
        );
      }
      this.#flushBlocked();
      return;
    }
    const s = this.#streams.get(id);
    if (!s) return; // closed stream
    if (inc === 0) return this.resetStream(s, ErrorCode.PROTOCOL_ERROR);
    s.sendWindow += inc;
    if (s.sendWindow > MAX_WINDOW) {
      return this.resetStream(s, ErrorCode.FLOW_CONTROL_ERROR);
    }
    this.flushStream(s);
  }

  // ---- sending

  /** @internal HEADERS (+ CONTINUATION) for `s`. */
  sendHeaders(s: H2Stream, block: Uint8Array, endStream: boolean): void {
    const max = this.#peerMaxFrame;
    const first = block.subarray(0, max);
    const endHeaders = block.length <= max ? Flag.END_HEADERS : 0;
    this.#send(
      frame(
        FrameType.HEADERS,
        endHeaders | (endStream ? Flag.END_STREAM : 0),
        s.id,
        first,
      ),
    );
    for (let at = max; at < block.length; at += max) {
      const last = at + max >= block.length;
      this.#send(
        frame(
          FrameType.CONTINUATION,
          last ? Flag.END_HEADERS : 0,
          s.id,
          block.subarray(at, at + max),
        ),
      );
    }
    if (endStream) {
      s.localEnded = true;
      this.#finish(s);
    }
  }

  /** @internal Send what the windows allow of `s`'s queue, then its trailers. */
  flushStream(s: H2Stream): void {
    if (s.closed) return;
    while (s.queue.length > 0) {
      const allowed = Math.min(
        this.#sendWindow,
        s.sendWindow,
        this.#peerMaxFrame,
      );
      if (allowed <= 0) {
        this.#blocked.add(s);
        return;
      }
      const head = s.queue[0];
      const n = Math.min(head.length, allowed);
      this.#send(frame(FrameType.DATA, 0, s.id, head.subarray(0, n)));
      this.#sendWindow -= n;
      s.sendWindow -= n;
      if (n === head.length) s.queue.shift();
      else s.queue[0] = head.subarray(n);
    }
    this.#blocked.delete(s);
    if (s.trailers) {
      const block = s.trailers;
      s.trailers = undefined;
      this.sendHeaders(s, block, true);
    }
  }

  #flushBlocked(): void {
    for (const s of [...this.#blocked]) {
      if (this.#sendWindow <= 0) return;
      this.flushStream(s);
    }
  }

  /** @internal RST_STREAM `code` and close `s`. */
  resetStream(s: H2Stream, code: number): void {
    if (s.closed) return;
    this.#send(frame(FrameType.RST_STREAM, 0, s.id, u32s(code)));
    this.#closeStream(s, "reset");
  }

  /** Our END_STREAM went out: close, telling the client to stop sending if it has not. */
  #finish(s: H2Stream): void {
    if (!s.remoteEnded) {
      this.#send(
        frame(FrameType.RST_STREAM, 0, s.id, u32s(ErrorCode.NO_ERROR)),
      );
    }
    this.#closeStream(s, "done");
  }

  #closeStream(s: H2Stream, how: StreamEnd): void {
    if (s.closed) return;
    s.closed = true;
    s.queue = [];
    this.#streams.delete(s.id);
    this.#blocked.delete(s);
    s.onClose?.(how);
    this.#endIfIdle();
  }

  #endIfIdle(): void {
    if (this.#goaway && this.#streams.size === 0 && !this.#closed) {
      this.#flush();
      this.#socket.end();
    }
  }

  #fail(code: number): void {
    this.#send(frame(FrameType.GOAWAY, 0, 0, u32s(this.#lastStreamId, code)));
    this.#flush();
    this.#socket.end();
    // A misbehaving peer must not keep the descriptor open by never closing.
    const socket = this.#socket;
    const cancel = schedule(() => socket.destroy(), this.#o.failedCloseMs);
    socket.on("close", cancel);
    this.#lost();
  }

  #lost(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [...this.#streams.values()]) this.#closeStream(s, "lost");
    this.#out = [];
    this.#o.onClose?.();
  }

  #send(f: Uint8Array): void {
    if (this.#closed) return;
    this.#out.push(f);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#out.length === 0 || this.#closed) return;
    const frames = this.#out;
    this.#out = [];
    let size = 0;
    for (const f of frames) size += f.length;
    const all = new Uint8Array(size);
    let at = 0;
    for (const f of frames) {
      all.set(f, at);
      at += f.length;
    }
    this.#socket.write(all);
  }
}
