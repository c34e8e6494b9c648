/**
 * The hub's QUIC listener (`--unstable-net`): `Deno.QuicEndpoint` with ALPN
 * `edge-hub/1`. Deno's QUIC server cannot verify client certificates, so
 * each connection authenticates in band before anything else is read
 * (`src/hub/quic_auth.ts`, `docs/hub-link.md`): the hub sends a fresh
 * 32-byte challenge; the node answers with its chain and a signature over
 * the challenge, the server name it verified and its node name. The hub
 * checks, within `authTimeoutMs` and once per connection:
 * - the server name is one its certificate covers (and the SNI, if any);
 * - the signature with the leaf's public key;
 * - the chain with {@link Authority.authenticateNode} (hub CA, clientAuth,
 *   CRL, node registered, not locked/revoked) for the node named.
 * Then the stream carries length-prefixed messages, routed by
 * {@link NodeLinks} exactly as WebSocket links are.
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { fromBase64, fromBase64Url, toBase64Url } from "../bytes.ts";
import { EdgeError, isEdgeError } from "../errors.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import { ACK_BATCH, DEFAULT_MAX_MESSAGE_BYTES } from "../message/mod.ts";
import { parseCertificateDer, parsePublicKeyDer } from "../pki/mod.ts";
import { type Random, secureRandom } from "../random.ts";
import {
  authFrame,
  CHALLENGE_BYTES,
  MAX_AUTH_FRAME_BYTES,
  parseAuthAnswer,
  parseAuthFrame,
  QUIC_ALPN,
  QUIC_CLOSE_FORBIDDEN,
  QUIC_CLOSE_UNAUTHORIZED,
  verifyAuth,
} from "../hub/quic_auth.ts";
import { FramedStream } from "../hub/quic_stream.ts";
import type { Authority } from "./authority.ts";
import type { NodeLinks } from "./node_links.ts";
import type { LinkServer } from "./websocket_server.ts";

/** Options of {@link startQuicServer}. */
export interface QuicServerOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  key: string;
  cert: string;
  /** Names (DNS names and IPs) the serving certificate covers. */
  serverNames: readonly string[];
  authority: Authority;
  links: Pick<NodeLinks, "attach">;
  /** Deadline for a node to authenticate. @default 10000 */
  authTimeoutMs?: number;
  /** Drop a connection after this long without a packet. @default 30000 */
  idleTimeoutMs?: number;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

const dec = new TextDecoder();

/** A bound UDP address: its endpoint, listener and current server. */
interface Bound {
  endpoint: Deno.QuicEndpoint;
  listener?: Deno.QuicListener;
  /** The running server's handler; none = refuse (like a TCP RST). */
  onIncoming?: (incoming: Deno.QuicIncoming) => void;
}

/**
 * Endpoints by address, kept for the life of the process: Deno releases a
 * QUIC endpoint's UDP socket only when the endpoint object is garbage
 * collected (`close()` does not), so a hub restarted in the same process
 * could not bind its port again. A stopped server leaves its endpoint
 * listening and refusing connections (the node fails at once and retries,
 * as with a closed TCP port) until the next server takes it over.
 */
const bound = new Map<string, Bound>();

function bind(hostname: string, port: number): Bound {
  const known = port === 0 ? undefined : bound.get(`${hostname}|${port}`);
  if (known) return known;
  const b: Bound = { endpoint: new Deno.QuicEndpoint({ hostname, port }) };
  bound.set(`${hostname}|${b.endpoint.addr.port}`, b);
  return b;
}

/** (Re)listen on `b` with `options` (a new certificate); old connections stay. */
function listen(b: Bound, options: Deno.QuicListenOptions): void {
  b.listener?.stop();
  const l = b.endpoint.listen(options);
  b.listener = l;
  (async () => {
    for (;;) {
      let incoming: Deno.QuicIncoming;
      try {
        incoming = await l.incoming();
      } catch {
        return; // this listener was stopped
      }
      if (b.onIncoming) b.onIncoming(incoming);
      else incoming.refuse();
    }
  })();
}

/** Start the QUIC listener. */
export function startQuicServer(o: QuicServerOptions): Promise<LinkServer> {
  const log = o.logger ?? nullLogger;
  const clock = o.clock ?? systemClock;
  const random = o.random ?? secureRandom;
  const names = new Set(o.serverNames.map((n) => n.toLowerCase()));
  const conns = new Set<Deno.QuicConn>();
  const b = bind(o.hostname, o.port);
  const transport = {
    alpnProtocols: [QUIC_ALPN],
    maxIdleTimeout: o.idleTimeoutMs ?? 30_000,
  };
  let stopped = false;

  const onIncoming = (incoming: Deno.QuicIncoming) => {
    Promise.resolve(incoming.accept()).then(
      (qc: Deno.QuicConn) => {
        if (stopped) return qc.close({ closeCode: 0, reason: "stopping" });
        conns.add(qc);
        qc.closed.catch(() => {}).finally(() => conns.delete(qc));
        handle(qc).catch((err) => {
          log.debug("QUIC link failed", { error: String(err) });
          try {
            qc.close({ closeCode: 1011, reason: "internal error" });
          } catch { /* closed */ }
        });
      },
      (err: unknown) =>
        log.debug("QUIC handshake failed", { error: String(err) }),
    );
  };

  const handle = async (qc: Deno.QuicConn) => {
    const timeoutMs = o.authTimeoutMs ?? 10_000;
    const deadline = new AbortController();
    const settled = new AbortController();
    clock.sleep(timeoutMs, settled.signal).then(
      () => deadline.abort(),
      () => {},
    );
    let fs: FramedStream | undefined;
    // A refusal is the connection close itself: code and reason (a frame
    // written just before the close would be discarded with the stream).
    const refuse = (code: number, message: string) => {
      fs?.release();
      try {
        qc.close({ closeCode: code, reason: message.slice(0, 200) });
      } catch { /* closed */ }
    };
    try {
      const reader = qc.incomingBidirectionalStreams.getReader();
      const first = await raceDeadline(reader.read(), deadline.signal);
      reader.releaseLock();
      if (first.done) return;
      fs = new FramedStream(first.value, DEFAULT_MAX_MESSAGE_BYTES);
      const hello = await raceDeadline(fs.readFrame(), deadline.signal);
      if (!hello) return;
      checkSize(hello);
      const h = parseAuthFrame(hello, "hello");
      if (h.hello !== QUIC_ALPN) {
        throw new EdgeError(
          "LINK_AUTH_FAILED",
          `hello: expected "${QUIC_ALPN}"`,
        );
      }
      const challenge = random.bytes(CHALLENGE_BYTES);
      fs.writeRaw(authFrame({ challenge: toBase64Url(challenge) }));
      const answerFrame = await raceDeadline(fs.readFrame(), deadline.signal);
      if (!answerFrame) return;
      checkSize(answerFrame);
      const answer = parseAuthAnswer(answerFrame);
      // The answer is read once: this challenge is used up now.
      const serverName = answer.serverName.toLowerCase();
      if (!names.has(serverName)) {
        throw new EdgeError(
          "LINK_AUTH_FAILED",
          `serverName "${answer.serverName}" is not a name of this hub`,
        );
      }
      if (qc.serverName && qc.serverName.toLowerCase() !== serverName) {
        throw new EdgeError(
          "LINK_AUTH_FAILED",
          `serverName "${answer.serverName}" is not the name the connection was opened for`,
        );
      }
      let chain: Uint8Array[];
      let sig: Uint8Array;
      try {
        chain = answer.chain.map((c) => fromBase64(c));
        sig = fromBase64Url(answer.sig);
      } catch {
        throw new EdgeError(
          "LINK_AUTH_FAILED",
          "auth answer: chain or sig is not valid base64",
        );
      }
      let key: CryptoKey;
      try {
        key = await parsePublicKeyDer(parseCertificateDer(chain[0]).spki);
      } catch {
        throw new EdgeError(
          "LINK_AUTH_FAILED",
          "auth answer: chain[0]: expected a P-256 certificate",
        );
      }
      if (!(await verifyAuth(key, sig, challenge, serverName, answer.node))) {
        throw new EdgeError(
          "LINK_AUTH_FAILED",
          "auth answer: the signature does not verify with the certificate's key",
        );
      }
      if (deadline.signal.aborted) {
        throw new EdgeError("LINK_AUTH_FAILED", "authentication took too long");
      }
      const auth = await o.authority.authenticateNode(chain, {
        node: answer.node,
      });
      settled.abort();
      fs.writeRaw(authFrame({ ok: true }));
      attach(qc, fs, auth.node, h.acks === ACK_BATCH);
    } catch (err) {
      settled.abort();
      const forbidden = isEdgeError(err, "HUB_FORBIDDEN");
      const message = deadline.signal.aborted
        ? `no authentication within ${timeoutMs} ms`
        : (err as Error).message;
      log.info("node link refused", { transport: "quic", reason: message });
      refuse(
        forbidden ? QUIC_CLOSE_FORBIDDEN : QUIC_CLOSE_UNAUTHORIZED,
        message,
      );
    }
  };

  const attach = (
    qc: Deno.QuicConn,
    fs: FramedStream,
    node: string,
    batchAcks: boolean,
  ) => {
    const session = o.links.attach(node, {
      batchAcks,
      send: (text) => fs.writeText(text),
      close: (code, reason) => {
        try {
          qc.close({ closeCode: code, reason });
        } catch { /* closed */ }
      },
    });
    qc.closed.catch(() => {}).finally(() => {
      session.detach();
      fs.release();
    });
    fs.pipeFrames((frame) => session.receive(dec.decode(frame))).then(
      () => {
        // The node ended its stream: the link is over.
        session.detach();
        try {
          qc.close({ closeCode: 1000, reason: "stream ended" });
        } catch { /* closed */ }
      },
      (err) => {
        log.info("invalid frame on a node link; closing it", {
          node,
          error: (err as Error).message,
        });
        session.detach();
        try {
          qc.close({ closeCode: 1002, reason: "invalid frame" });
        } catch { /* closed */ }
      },
    );
  };

  b.onIncoming = onIncoming;
  listen(b, { ...transport, key: o.key, cert: o.cert });
  return Promise.resolve({
    port: b.endpoint.addr.port,
    get listening() {
      return !stopped && b.onIncoming === onIncoming;
    },
    setCertificate(key, cert) {
      // Listen again with the new certificate; live connections stay.
      try {
        if (!stopped) listen(b, { ...transport, key, cert });
      } catch (err) {
        log.error("QUIC: cannot switch to the new certificate", {
          error: String(err),
        });
      }
    },
    close() {
      stopped = true;
      if (b.onIncoming === onIncoming) b.onIncoming = undefined;
      for (const qc of conns) {
        try {
          qc.close({ closeCode: 1001, reason: "hub stopping" });
        } catch { /* closed */ }
      }
      return Promise.resolve();
    },
  });
}

function checkSize(frame: Uint8Array): void {
  if (frame.byteLength > MAX_AUTH_FRAME_BYTES) {
    throw new EdgeError(
      "LINK_AUTH_FAILED",
      `auth frame of ${frame.byteLength} bytes exceeds ${MAX_AUTH_FRAME_BYTES}`,
    );
  }
}

function raceDeadline<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error("deadline"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("deadline"));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
  });
}
