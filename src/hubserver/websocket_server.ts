/**
 * The hub's WebSocket listener (KubeEdge CloudHub compatible): `node:https`
 * with `requestCert` (Deno.serve cannot request client certificates) plus
 * `ws` for the upgrade. A node is admitted only when
 * - the path is `/<projectID>/<nodeName>/events` and header `node_id` names
 *   the same node, `ConnectionUse` is `msg`;
 * - its client certificate passes {@link Authority.authenticateNode} for
 *   that node (chains to the hub CA, not revoked, node not locked/revoked).
 * Refusals are plain HTTP answers before the upgrade (401/403/400).
 * @module
 */
import https from "node:https";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { WebSocketServer } from "ws";
import { isEdgeError } from "../errors.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import {
  ACK_BATCH,
  ACK_BATCH_HEADER,
  DEFAULT_MAX_MESSAGE_BYTES,
} from "../message/mod.ts";
import type { Authority } from "./authority.ts";
import { peerChainOf } from "./https_server.ts";
import type { NodeLinks } from "./node_links.ts";

/** The part of a `ws` WebSocket used here (`ws` ships no types). */
interface WsSocket {
  /** 1 while open (`WebSocket.OPEN`). */
  readonly readyState: number;
  send(text: string): void;
  close(code: number, reason: string): void;
  terminate(): void;
  on(event: "message", cb: (data: unknown, isBinary: boolean) => void): void;
  on(event: "close" | "error", cb: () => void): void;
}

/** Options of {@link startWebSocketServer}. */
export interface WebSocketServerOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  key: string;
  cert: string;
  /** CA certificates (PEM) named to clients. */
  ca: string[];
  authority: Authority;
  links: Pick<NodeLinks, "attach">;
  logger?: Logger;
}

/** A running WebSocket listener. */
export interface LinkServer {
  readonly port: number;
  /** True while it accepts connections (readiness). */
  readonly listening?: boolean;
  setCertificate(key: string, cert: string): void;
  close(): Promise<void>;
}

/** The node named by a CloudHub path `/<projectID>/<nodeName>/events`. */
export function nodeFromCloudHubPath(path: string): string | undefined {
  const parts = path.split("?")[0].split("/");
  if (parts.length !== 4 || parts[0] !== "" || parts[3] !== "events") {
    return undefined;
  }
  try {
    return decodeURIComponent(parts[2]) || undefined;
  } catch {
    return undefined;
  }
}

const enc = new TextEncoder();

/**
 * Server → client text frames (RFC 6455 §5.2: FIN, opcode 1, unmasked), one
 * per text, in one buffer: what `ws` writes frame by frame, for a batch of
 * ACKs in one socket write. Only valid without extensions (compression is
 * off) and while the socket is open.
 */
export function encodeTextFrames(texts: readonly string[]): Uint8Array {
  let capacity = 0;
  for (const t of texts) capacity += 10 + t.length * 3;
  const buf = new Uint8Array(capacity);
  const view = new DataView(buf.buffer);
  let off = 0;
  for (const t of texts) {
    // Encode after the longest header, then move it up to the real one.
    const n = enc.encodeInto(t, buf.subarray(off + 10)).written;
    const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
    buf.copyWithin(off + head, off + 10, off + 10 + n);
    buf[off] = 0x81;
    if (head === 2) buf[off + 1] = n;
    else if (head === 4) {
      buf[off + 1] = 126;
      view.setUint16(off + 2, n);
    } else {
      buf[off + 1] = 127;
      view.setBigUint64(off + 2, BigInt(n));
    }
    off += head + n;
  }
  return buf.subarray(0, off);
}

function refuse(socket: Duplex, status: number, text: string, message: string) {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${new TextEncoder().encode(body).length}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}

/** Start the WebSocket listener. */
export function startWebSocketServer(
  o: WebSocketServerOptions,
): Promise<LinkServer> {
  const log = o.logger ?? nullLogger;
  const sockets = new Set<TLSSocket>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: DEFAULT_MAX_MESSAGE_BYTES,
    // No compression: `sendMany` writes frames itself (see encodeTextFrames).
    perMessageDeflate: false,
  });
  const server = https.createServer({
    key: o.key,
    cert: o.cert,
    ca: o.ca,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: "TLSv1.2",
  }, (req, res) => {
    // A plain request to a node's events URL is told what an upgrade would
    // be told when the node is refused (a WebSocket client may not show a
    // refused handshake's reason: the runtime asks this way, see
    // src/hub/websocket.ts); otherwise "upgrade required".
    const plain = (status: number, text: string) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
      res.end(`${text}\n`);
    };
    const node = nodeFromCloudHubPath(req.url ?? "");
    if (!node) {
      return plain(
        426,
        "upgrade to a WebSocket at /<projectID>/<nodeName>/events",
      );
    }
    o.authority.authenticateNode(peerChainOf(req.socket as TLSSocket), { node })
      .then(
        () => plain(426, "upgrade to a WebSocket at this URL"),
        (err) =>
          plain(
            isEdgeError(err, "HUB_FORBIDDEN") ? 403 : 401,
            (err as Error).message,
          ),
      );
  });
  server.on("secureConnection", (s: TLSSocket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on(
    "tlsClientError",
    (err: Error) => log.debug("TLS handshake failed", { error: err.message }),
  );
  server.on(
    "upgrade",
    (req: IncomingMessage, socket: Duplex, head: Uint8Array) => {
      admit(req, socket, head).catch((err) => {
        log.error("link upgrade failed", { error: String(err) });
        refuse(socket, 500, "Internal Server Error", "internal error");
      });
    },
  );

  const admit = async (
    req: IncomingMessage,
    socket: Duplex,
    head: Uint8Array,
  ) => {
    const node = nodeFromCloudHubPath(req.url ?? "");
    const header = (n: string) => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    if (!node) {
      return refuse(
        socket,
        400,
        "Bad Request",
        "expected the path /<projectID>/<nodeName>/events",
      );
    }
    if (header("node_id") !== node) {
      return refuse(
        socket,
        400,
        "Bad Request",
        `header node_id must name the node of the URL ("${node}")`,
      );
    }
    if ((header("connectionuse") ?? "").toLowerCase() !== "msg") {
      return refuse(
        socket,
        400,
        "Bad Request",
        "header ConnectionUse: msg is required",
      );
    }
    try {
      await o.authority.authenticateNode(peerChainOf(socket as TLSSocket), {
        node,
      });
    } catch (err) {
      const forbidden = isEdgeError(err, "HUB_FORBIDDEN");
      log.info("node link refused", {
        node,
        reason: (err as Error).message,
      });
      return refuse(
        socket,
        forbidden ? 403 : 401,
        forbidden ? "Forbidden" : "Unauthorized",
        (err as Error).message,
      );
    }
    const batchAcks = header(ACK_BATCH_HEADER.toLowerCase()) === ACK_BATCH;
    wss.handleUpgrade(req, socket, head, (ws: WsSocket) => {
      const session = o.links.attach(node, {
        batchAcks,
        send: (text) => ws.send(text),
        sendMany: (texts) => {
          // One frame per message (CloudHub), one socket write for all.
          if (ws.readyState === 1) socket.write(encodeTextFrames(texts));
        },
        close: (code, reason) => {
          try {
            ws.close(code, reason);
          } catch { /* closing */ }
          // Cut off even if the peer never answers the close frame.
          setTimeout(() => ws.terminate(), 200);
        },
      });
      ws.on("message", (data: unknown, isBinary: boolean) => {
        if (isBinary) return;
        session.receive(String(data));
      });
      ws.on("close", () => session.detach());
      ws.on("error", () => session.detach());
    });
  };

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.hostname, () => {
      server.off("error", reject);
      const a = server.address();
      resolve({
        port: typeof a === "object" && a ? a.port : o.port,
        get listening() {
          return server.listening;
        },
        setCertificate(key, cert) {
          server.setSecureContext({ key, cert, ca: o.ca });
        },
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients as Set<WsSocket>) c.terminate();
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}
