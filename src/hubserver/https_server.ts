/**
 * HTTPS transport of the enrollment API on `node:https`, because it can
 * request client certificates (`Deno.serve` cannot). A tiny adapter: read
 * the body with a cap (over it → 413), hand the method, URL, headers, body,
 * the peer's DER certificate chain and address to a fetch-style handler
 * (a hono app), write its `Response`. The TLS certificate can be replaced
 * while running ({@link HttpsServer.setCertificate}); new connections get it.
 *
 * Client certificates are requested but not verified here
 * (`rejectUnauthorized: false`): the authority verifies them against the hub
 * CA, the registry and the CRL.
 * @module
 */
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { type Logger, nullLogger } from "../log/mod.ts";
import type { EnrollmentEnv } from "./enrollment_api.ts";

/** Largest accepted request body (KubeEdge caps at 1 MiB too). */
export const MAX_BODY_BYTES = 1 << 20;

/** Options of {@link startHttpsServer}. */
export interface HttpsServerOptions {
  /** Listen address (loopback in tests). */
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  /** Private key, PEM. */
  key: string;
  /** Certificate chain, PEM. */
  cert: string;
  /** CA certificates (PEM) named to clients as acceptable issuers. */
  ca: string[];
  /** The request handler (e.g. `app.fetch`). */
  fetch: (req: Request, env: EnrollmentEnv) => Response | Promise<Response>;
  /** @default {@link MAX_BODY_BYTES} */
  maxBodyBytes?: number;
  /**
   * Told about a refused oversized body (for the audit log and metrics);
   * `bearer` says whether it carried an `Authorization` header.
   */
  onBodyTooLarge?: (
    source: string,
    path: string,
    node: string | undefined,
    bearer: boolean,
  ) => unknown;
  logger?: Logger;
}

/** A running HTTPS server. */
export interface HttpsServer {
  readonly hostname: string;
  readonly port: number;
  /** True while it accepts connections. */
  readonly listening: boolean;
  /** Use a new key/certificate for new connections. */
  setCertificate(key: string, cert: string): void;
  /** Stop accepting and close all connections. */
  close(): Promise<void>;
}

/** Collect the DER chain a TLS peer presented, leaf first. */
export function peerChainOf(socket: TLSSocket): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  // deno-lint-ignore no-explicit-any
  let c: any = socket.getPeerCertificate?.(true);
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(new Uint8Array(c.raw));
    c = c.issuerCertificate;
  }
  return out;
}

/** Start serving. */
export function startHttpsServer(
  options: HttpsServerOptions,
): Promise<HttpsServer> {
  const log = options.logger ?? nullLogger;
  const max = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const sockets = new Set<TLSSocket>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as TLSSocket;
    const source = socket.remoteAddress ?? "unknown";
    const path = (req.url ?? "/").split("?")[0];
    const tooLarge = async () => {
      await options.onBodyTooLarge?.(
        source,
        path,
        headerValue(req.headers["nodename"]),
        req.headers["authorization"] !== undefined,
      );
      // Let a client that is still sending finish (up to 4x the limit,
      // discarded) so it reads the 413 instead of a reset mid-upload;
      // beyond that the connection is cut.
      let drained = 0;
      await new Promise<void>((resolve) => {
        req.on("data", (chunk: Uint8Array) => {
          drained += chunk.length;
          if (drained > 4 * max) {
            req.destroy();
            resolve();
          }
        });
        req.on("end", () => resolve());
        req.on("error", () => resolve());
        req.on("close", () => resolve());
        req.resume();
      });
      if (req.destroyed && !req.complete) return;
      res.writeHead(413, {
        "content-type": "text/plain; charset=utf-8",
        connection: "close",
      });
      res.end(`request body too large: more than ${max} bytes\n`);
    };
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > max) return await tooLarge();
    const chunks: Uint8Array[] = [];
    let size = 0;
    let over = false;
    await new Promise<void>((resolve, reject) => {
      req.on("data", (chunk: Uint8Array) => {
        if (over) return;
        size += chunk.length;
        if (size > max) {
          over = true;
          req.pause();
          resolve();
          return;
        }
        chunks.push(chunk);
      });
      req.on("end", () => resolve());
      req.on("error", reject);
    });
    if (over) return await tooLarge();
    const body = new Uint8Array(size);
    let off = 0;
    for (const ch of chunks) {
      body.set(ch, off);
      off += ch.length;
    }
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    }
    const host = headers.get("host") ?? `${options.hostname}:${port()}`;
    const request = new Request(`https://${host}${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers,
    });
    const response = await options.fetch(request, {
      remoteAddress: source,
      peerChain: peerChainOf(socket),
      body,
    });
    const out = new Uint8Array(await response.arrayBuffer());
    const resHeaders: Record<string, string> = {};
    response.headers.forEach((v, k) => resHeaders[k] = v);
    resHeaders["content-length"] = String(out.length);
    res.writeHead(response.status, resHeaders);
    res.end(out);
  };

  const server = https.createServer({
    key: options.key,
    cert: options.cert,
    ca: options.ca,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: "TLSv1.2",
  }, (req, res) => {
    handle(req, res).catch((err) => {
      log.error("request failed", { error: String(err) });
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      }
      res.end("internal error (see the hub logs)\n");
    });
  });
  server.on("secureConnection", (s: TLSSocket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("tlsClientError", (err: Error) => {
    log.debug("TLS handshake failed", { error: err.message });
  });
  const port = () => {
    const a = server.address();
    return typeof a === "object" && a ? a.port : options.port;
  };

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      resolve({
        hostname: options.hostname,
        port: port(),
        get listening() {
          return server.listening;
        },
        setCertificate(key, cert) {
          server.setSecureContext({ key, cert, ca: options.ca });
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
