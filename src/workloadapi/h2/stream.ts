/**
 * One HTTP/2 request stream as the server's handler sees it: the request
 * headers, callbacks for the body and the stream's end, and the calls that
 * answer it. The connection ({@link StreamOwner}) does the framing and
 * flow control.
 * @module
 */
import { ErrorCode } from "./frame.ts";
import { encodeHeaders, type HeaderField } from "./hpack.ts";

/** Initial flow-control window (RFC 9113 §6.9.2). */
export const DEFAULT_WINDOW = 65_535;

/** How a stream ended: answered in full, reset (by either side), or its connection lost. */
export type StreamEnd = "done" | "reset" | "lost";

/** What a stream needs from its connection. */
export interface StreamOwner {
  /** HEADERS (+ CONTINUATION) for `s`; `endStream` closes our side. */
  sendHeaders(s: H2Stream, block: Uint8Array, endStream: boolean): void;
  /** Send what the windows allow of `s`'s queue, then its trailers. */
  flushStream(s: H2Stream): void;
  /** RST_STREAM `code` and close `s`. */
  resetStream(s: H2Stream, code: number): void;
}

/** One request stream. */
export class H2Stream {
  /** Request headers in the order received. */
  readonly headers: readonly HeaderField[];
  /** A chunk of the request body. */
  onData?: (chunk: Uint8Array) => void;
  /** The request is complete (END_STREAM received). */
  onEnd?: () => void;
  /** The stream is over; called exactly once. */
  onClose?: (how: StreamEnd) => void;

  /** @internal */ remoteEnded = false;
  /** @internal */ headersSent = false;
  /** @internal */ localEnded = false;
  /** @internal */ closed = false;
  /** @internal */ sendWindow: number;
  /** @internal */ recvWindow = DEFAULT_WINDOW;
  /** @internal */ queue: Uint8Array[] = [];
  /** @internal */ trailers?: Uint8Array;

  /** @internal */
  constructor(
    readonly id: number,
    headers: HeaderField[],
    private readonly conn: StreamOwner,
    sendWindow: number,
  ) {
    this.headers = headers;
    this.sendWindow = sendWindow;
  }

  /** First header named `name` (lowercase), or undefined. */
  header(name: string): string | undefined {
    return this.headers.find((h) => h[0] === name)?.[1];
  }

  /** Send the response headers (`endStream`: and nothing else). */
  respond(headers: readonly HeaderField[], endStream = false): void {
    if (this.closed || this.headersSent) return;
    this.headersSent = true;
    this.conn.sendHeaders(this, encodeHeaders(headers), endStream);
  }

  /** Queue response body bytes (sent as the peer's windows allow). */
  write(data: Uint8Array): void {
    if (!this.headersSent) throw new Error("write() before respond()");
    if (this.closed || this.localEnded || data.length === 0) return;
    this.queue.push(data);
    this.conn.flushStream(this);
  }

  /** End the response with `trailers`, after the queued body. */
  end(trailers: readonly HeaderField[]): void {
    if (this.closed || this.localEnded) return;
    this.localEnded = true;
    this.trailers = encodeHeaders(trailers);
    this.conn.flushStream(this);
  }

  /** Abort the stream with RST_STREAM `code`. */
  reset(code: number = ErrorCode.CANCEL): void {
    this.conn.resetStream(this, code);
  }
}
