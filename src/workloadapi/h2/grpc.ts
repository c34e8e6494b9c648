/**
 * gRPC over one {@link H2Stream} (the gRPC HTTP/2 protocol, as a server):
 * the request headers are checked (`POST`, `content-type:
 * application/grpc…`, a known `:path`), the single request message is
 * unframed and decoded, the method's handler runs, and its answer goes out
 * as response headers, length-prefixed messages and `grpc-status` /
 * `grpc-message` trailers (or Trailers-Only for an answer without
 * messages). Unary and server-streaming methods only; no compression.
 * @module
 */
import type { H2Stream } from "./stream.ts";

/** gRPC status codes. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** One call, as its handler sees it. */
export interface GrpcCall<Req, Res> {
  /** The decoded request message. */
  readonly request: Req;
  /** Values of request metadata `key` (lowercase); binary (`-bin`) keys stay base64. */
  metadata(key: string): string[];
  /** Aborted when the client cancels or the connection is lost. */
  readonly signal: AbortSignal;
  /** True once the call is over (answered, failed, cancelled). */
  readonly ended: boolean;
  /** Send a response message. */
  write(message: Res): void;
  /** End with status OK. */
  end(): void;
  /** End with `code` and `message` (sent percent-encoded). */
  fail(code: number, message: string): void;
}

/** A method: its codec and handler. */
export interface GrpcMethod<Req, Res> {
  /** `true` for server streaming. */
  responseStream: boolean;
  /** Request bytes → message; throws on malformed input (→ INTERNAL). */
  decode(bytes: Uint8Array): Req;
  /** Message → bytes. */
  encode(message: Res): Uint8Array;
  /** Runs once per call; must end it (`end`/`fail`) unless it is cancelled. */
  handle(call: GrpcCall<Req, Res>): void;
}

/** Options of {@link serveGrpcStream}. */
export interface GrpcStreamOptions {
  /** Largest request message. @default 1 MiB */
  maxRequestBytes?: number;
  /** Called when a handler throws (the call fails with INTERNAL). */
  onError?: (err: unknown) => void;
}

const RESPONSE_HEADERS: [string, string][] = [
  [":status", "200"],
  ["content-type", "application/grpc"],
];

/** `grpc-message` encoding: percent-encode UTF-8 outside 0x20–0x7E, and `%`. */
export function encodeGrpcMessage(message: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(message)) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Serve one request stream with the method its `:path` names. */
export function serveGrpcStream(
  stream: H2Stream,
  // deno-lint-ignore no-explicit-any
  methods: ReadonlyMap<string, GrpcMethod<any, any>>,
  options: GrpcStreamOptions = {},
): void {
  const max = options.maxRequestBytes ?? 1 << 20;
  if (stream.header(":method") !== "POST") {
    stream.respond([[":status", "405"]], true);
    return;
  }
  const type = stream.header("content-type") ?? "";
  if (!/^application\/grpc($|[+;])/.test(type)) {
    stream.respond([[":status", "415"]], true);
    return;
  }
  let ended = false;
  const ac = new AbortController();
  const finish = (code: number, message: string) => {
    if (ended) return;
    ended = true;
    const trailers: [string, string][] = [["grpc-status", String(code)]];
    if (message) trailers.push(["grpc-message", encodeGrpcMessage(message)]);
    if (stream.headersSent) stream.end(trailers);
    else stream.respond([...RESPONSE_HEADERS, ...trailers], true);
  };
  stream.onClose = (how) => {
    if (how !== "done") {
      ended = true;
      ac.abort(new Error("call cancelled"));
    }
  };
  const path = stream.header(":path") ?? "";
  const method = methods.get(path);
  if (!method) {
    finish(GrpcStatus.UNIMPLEMENTED, `unknown method ${path}`);
    return;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  stream.onData = (chunk) => {
    if (ended) return;
    size += chunk.length;
    if (size > max + 5) {
      finish(GrpcStatus.RESOURCE_EXHAUSTED, "request message too large");
      return;
    }
    chunks.push(chunk.slice());
  };
  stream.onEnd = () => {
    if (ended) return;
    const body = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.length;
    }
    if (body.length < 5) {
      finish(GrpcStatus.INTERNAL, "no request message");
      return;
    }
    const length = new DataView(body.buffer).getUint32(1);
    if (body.length !== 5 + length) {
      finish(GrpcStatus.INTERNAL, "expected exactly one request message");
      return;
    }
    if (body[0] !== 0) {
      finish(GrpcStatus.UNIMPLEMENTED, "compressed messages are not supported");
      return;
    }
    let request: unknown;
    try {
      request = method.decode(body.subarray(5));
    } catch {
      finish(GrpcStatus.INTERNAL, "could not decode the request message");
      return;
    }
    const call: GrpcCall<unknown, unknown> = {
      request,
      metadata: (key) =>
        stream.headers.filter((h) => h[0] === key).map((h) => h[1]),
      signal: ac.signal,
      get ended() {
        return ended;
      },
      write(message) {
        if (ended) return;
        const bytes = method.encode(message);
        const framed = new Uint8Array(5 + bytes.length);
        new DataView(framed.buffer).setUint32(1, bytes.length);
        framed.set(bytes, 5);
        stream.respond(RESPONSE_HEADERS);
        stream.write(framed);
      },
      end: () => finish(GrpcStatus.OK, ""),
      fail: finish,
    };
    try {
      method.handle(call);
    } catch (err) {
      options.onError?.(err);
      finish(GrpcStatus.INTERNAL, "internal error");
    }
  };
}
