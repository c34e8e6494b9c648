/**
 * The QUIC transport (RFC 9000 via `Deno.connectQuic`, `--unstable-net`):
 * ALPN `edge-hub/1`, the hub verified against the trust bundle for
 * `serverName`, then the node authenticates in band (challenge signed with
 * the node key, `src/hub/quic_auth.ts`) on one bidirectional stream that
 * then carries the same JSON messages as WebSocket, 4-byte length-prefixed.
 * @module
 */
import { parseHostPort } from "../config/net.ts";
import { fromBase64Url, toBase64, toBase64Url } from "../bytes.ts";
import { EdgeError } from "../errors.ts";
import {
  ACK_BATCH,
  DEFAULT_MAX_MESSAGE_BYTES,
  encodeMessage,
} from "../message/mod.ts";
import { parsePemBlocks, parsePrivateKey } from "../pki/mod.ts";
import {
  authFrame,
  CHALLENGE_BYTES,
  parseAuthFrame,
  QUIC_ALPN,
  QUIC_CLOSE_FORBIDDEN,
  QUIC_CLOSE_UNAUTHORIZED,
  signAuth,
} from "./quic_auth.ts";
import { raceQuicHandshakes } from "./quic_handshake.ts";
import { FramedStream } from "./quic_stream.ts";
import {
  type CloseInfo,
  type ConnectionHandlers,
  deliverText,
  type HubConnection,
  type HubTransport,
  type LinkCredentials,
} from "./transport.ts";

/** Options of {@link createQuicTransport}. */
export interface QuicTransportOptions {
  /** `host:port` of the hub's QUIC listener. */
  server: string;
  /** This node's name. */
  nodeName: string;
  /** Name to verify the hub certificate against. @default the host of `server` */
  serverName?: string;
  /** Give up connecting (handshake + authentication) after this long. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * Give up when no QUIC handshake has completed after this long (QUIC
   * ignores ICMP: an attempt while the hub is down gets no error and ends
   * here). @default 2000
   */
  handshakeTimeoutMs?: number;
  /**
   * Start a fresh handshake after this long without an answer, keeping the
   * earlier ones (QUIC itself resends its first packet only after ~1 s, then
   * 2 s, 4 s…), so a hub that starts listening is found within about this
   * long. At least twice the last handshake's duration. @default 250
   */
  handshakeRetryMs?: number;
  /** Largest message accepted. @default 1 MiB */
  maxMessageBytes?: number;
  /** Drop the connection after this long without a packet. @default 10000 */
  idleTimeoutMs?: number;
}

/** Build the QUIC {@link HubTransport}. */
export function createQuicTransport(
  options: QuicTransportOptions,
): HubTransport {
  const hp = parseHostPort(options.server);
  if (!hp) {
    throw new EdgeError(
      "CONFIG_INVALID",
      `hub.quicServer: expected host:port, got ${
        JSON.stringify(options.server)
      }`,
    );
  }
  const state = { lastHandshakeMs: 0 };
  return {
    kind: "quic",
    connect(creds, handlers, signal) {
      return connectQuic(
        hp.host,
        hp.port,
        creds,
        handlers,
        options,
        state,
        signal,
      );
    },
  };
}

/** The signed answer to a challenge (exported for the hub's tests). */
export async function answerChallenge(
  creds: Pick<LinkCredentials, "keyPem" | "certPem">,
  challenge: Uint8Array,
  serverName: string,
  node: string,
): Promise<{ node: string; serverName: string; chain: string[]; sig: string }> {
  const { privateKey } = await parsePrivateKey(creds.keyPem, {
    extractable: false,
  });
  const chain = parsePemBlocks(creds.certPem, "CERTIFICATE").map((b) =>
    toBase64(b.der)
  );
  const sig = await signAuth(privateKey, challenge, serverName, node);
  return { node, serverName, chain, sig: toBase64Url(sig) };
}

async function connectQuic(
  host: string,
  port: number,
  creds: LinkCredentials,
  handlers: ConnectionHandlers,
  options: QuicTransportOptions,
  state: { lastHandshakeMs: number },
  signal?: AbortSignal,
): Promise<HubConnection> {
  const where = `quic://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const serverName = options.serverName ?? host;
  const timeoutMs = options.connectTimeoutMs ?? 5_000;
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  let qc: Deno.QuicConn | undefined;
  let fs: FramedStream | undefined;
  let why = "";
  const giveUp = (reason: string) => {
    why ||= reason;
    try {
      qc?.close({ closeCode: 0, reason: reason.slice(0, 100) });
    } catch { /* closed */ }
  };
  const timer = setTimeout(
    () => giveUp(`no answer within ${timeoutMs} ms`),
    timeoutMs,
  );
  const onAbort = () => giveUp("aborted");
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal?.aborted) throw new Error("aborted");
    // A fresh handshake every retry interval until one completes (the hub
    // may come back meanwhile; see quic_handshake.ts), no more often than
    // twice the last handshake took (a slow path needs no duplicates).
    const won = await raceQuicHandshakes((endpoint) =>
      Deno.connectQuic({
        hostname: host,
        port,
        serverName,
        alpnProtocols: [QUIC_ALPN],
        caCerts: [creds.caPem],
        endpoint,
        maxIdleTimeout: options.idleTimeoutMs ?? 10_000,
        keepAliveInterval: Math.max(
          500,
          Math.floor((options.idleTimeoutMs ?? 10_000) / 3),
        ),
      }), {
      timeoutMs: Math.min(timeoutMs, options.handshakeTimeoutMs ?? 2_000),
      retryMs: Math.max(
        options.handshakeRetryMs ?? 250,
        2 * state.lastHandshakeMs,
      ),
      signal,
      // An IPv4 hub gets an IPv4 socket (no reliance on dual stack).
      bindHostname: /^\d+\.\d+\.\d+\.\d+$/.test(host) ? "0.0.0.0" : undefined,
    });
    qc = won.conn;
    state.lastHandshakeMs = won.handshakeMs;
    if (why) throw new Error(why);
    const closedInfo = qc.closed.then(
      (i): CloseInfo => ({ code: i.closeCode, reason: i.reason }),
      (err): CloseInfo => ({ code: 1006, reason: String(err?.message ?? err) }),
    );
    const stream = await qc.createBidirectionalStream();
    fs = new FramedStream(stream, maxBytes);
    fs.writeRaw(
      authFrame({ hello: QUIC_ALPN, node: options.nodeName, acks: ACK_BATCH }),
    );
    const chFrame = await fs.readFrame();
    if (!chFrame) throw await refusal(closedInfo, "no challenge from the hub");
    const ch = parseAuthFrame(chFrame, "challenge");
    const challenge = typeof ch.challenge === "string"
      ? safeBase64Url(ch.challenge)
      : undefined;
    if (challenge?.byteLength !== CHALLENGE_BYTES) {
      throw new EdgeError(
        "LINK_AUTH_FAILED",
        `challenge: expected ${CHALLENGE_BYTES} bytes, base64url`,
      );
    }
    fs.writeRaw(
      authFrame(
        await answerChallenge(creds, challenge, serverName, options.nodeName),
      ),
    );
    const resFrame = await fs.readFrame();
    if (!resFrame) throw await refusal(closedInfo, "no answer from the hub");
    const res = parseAuthFrame(resFrame, "auth result");
    if (res.ok !== true) {
      throw new EdgeError(
        "LINK_AUTH_FAILED",
        `the hub refused the node: ${String(res.error ?? "no reason")}`,
      );
    }
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    return open(qc, fs, closedInfo, handlers, maxBytes);
  } catch (err) {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    fs?.release();
    try {
      qc?.close({ closeCode: 0, reason: "connect failed" });
    } catch { /* closed */ }
    if (err instanceof EdgeError && err.code === "LINK_AUTH_FAILED") throw err;
    throw new EdgeError(
      "LINK_CLOSED",
      `cannot connect to ${where}: ${why || (err as Error).message}`,
    );
  }
}

function safeBase64Url(s: string): Uint8Array | undefined {
  try {
    return fromBase64Url(s);
  } catch {
    return undefined;
  }
}

/** The error for a connection closed during authentication. */
async function refusal(
  closed: Promise<CloseInfo>,
  fallback: string,
): Promise<Error> {
  const info = await Promise.race([
    closed,
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 1_000)),
  ]);
  if (
    info &&
    (info.code === QUIC_CLOSE_UNAUTHORIZED ||
      info.code === QUIC_CLOSE_FORBIDDEN)
  ) {
    return new EdgeError(
      "LINK_AUTH_FAILED",
      `the hub refused the node: ${info.reason}`,
    );
  }
  return new Error(info ? `closed (${info.code} ${info.reason})` : fallback);
}

function open(
  qc: Deno.QuicConn,
  fs: FramedStream,
  closedInfo: Promise<CloseInfo>,
  handlers: ConnectionHandlers,
  maxBytes: number,
): HubConnection {
  const dec = new TextDecoder();
  let done = false;
  const closed = Promise.withResolvers<CloseInfo>();
  const finish = (info: CloseInfo) => {
    if (done) return;
    done = true;
    fs.release();
    closed.resolve(info);
  };
  closedInfo.then(finish);
  fs.pipeFrames((frame) => deliverText(dec.decode(frame), handlers, maxBytes))
    .then(
      () => {
        // The hub ended the stream: the link is over.
        try {
          qc.close({ closeCode: 1000, reason: "stream ended" });
        } catch { /* closed */ }
      },
      (err) => {
        handlers.onInvalid?.(err as Error);
        try {
          qc.close({ closeCode: 1002, reason: "invalid frame" });
        } catch { /* closed */ }
      },
    );
  return {
    transport: "quic",
    send(msg) {
      if (done) throw new EdgeError("LINK_CLOSED", "the hub link is closed");
      fs.writeText(encodeMessage(msg));
    },
    sendText(text) {
      if (done) throw new EdgeError("LINK_CLOSED", "the hub link is closed");
      fs.writeText(text);
    },
    get bufferedAmount() {
      return fs.bufferedAmount;
    },
    closed: closed.promise,
    close(reason = "closing") {
      if (done) return;
      try {
        qc.close({ closeCode: 1000, reason: reason.slice(0, 120) });
      } catch { /* closed */ }
      const t = setTimeout(() => finish({ code: 1000, reason }), 2_000);
      closed.promise.then(() => clearTimeout(t));
    },
  };
}
