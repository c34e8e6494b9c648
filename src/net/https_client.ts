/**
 * One small HTTPS client for the upstreams, on `node:https` because the
 * KubeEdge protocol sends a body with GET (WHATWG fetch refuses that) and
 * renewal authenticates with a client certificate. Network and TLS failures
 * become `UPSTREAM_UNREACHABLE` naming the upstream and the cause; the
 * caller maps HTTP statuses. Used by the identity upstreams and the node
 * intermediate client.
 * @module
 */
import http from "node:http";
import https from "node:https";
import { EdgeError } from "../errors.ts";

/** A request. */
export interface HttpsRequest {
  /** Absolute URL (https:, or http: for loopback test servers). */
  url: string;
  /** @default "GET" */
  method?: "GET" | "POST";
  /** Extra headers. */
  headers?: Record<string, string>;
  /** Body (Content-Length is always set: a GET body needs it). */
  body?: Uint8Array;
  /** PEM CA bundle to verify the server; system roots when absent. */
  ca?: string;
  /** Skip server verification (only for the KubeEdge `/ca.crt` fetch). */
  insecure?: boolean;
  /** Client certificate chain (PEM). */
  cert?: string;
  /** Client private key (PEM, secret). */
  key?: string;
  /** @default 15000 */
  timeoutMs?: number;
  /** Largest response body accepted. @default 1 MiB */
  maxBytes?: number;
  /** Name of the upstream in error messages, e.g. `hub`. */
  what: string;
}

/** A response. */
export interface HttpsResponse {
  status: number;
  body: Uint8Array;
  contentType: string;
}

const TLS_CODES =
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|TLS|SSL/;

/** Send one request; rejects with `UPSTREAM_UNREACHABLE` on network/TLS failure. */
export function httpsRequest(req: HttpsRequest): Promise<HttpsResponse> {
  const url = new URL(req.url);
  const body = req.body ?? new Uint8Array(0);
  const maxBytes = req.maxBytes ?? 1024 * 1024;
  const lib = url.protocol === "http:" ? http : https;
  const where = `${req.what} at ${url.origin}`;
  return new Promise((resolve, reject) => {
    const fail = (err: Error & { code?: string }) => {
      const code = err.code ?? "";
      const detail = TLS_CODES.test(code) || /certificate/i.test(err.message)
        ? `TLS verification failed (${code || err.message})`
        : `${code || err.message}`;
      reject(
        new EdgeError(
          "UPSTREAM_UNREACHABLE",
          `${where} is unreachable: ${detail}`,
          {
            cause: err,
          },
        ),
      );
    };
    const r = lib.request({
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port || (url.protocol === "http:" ? 80 : 443),
      path: url.pathname + url.search,
      method: req.method ?? "GET",
      headers: { ...req.headers, "Content-Length": String(body.length) },
      // An unverified request (the CA fetch before it is pinned) needs no
      // roots; without `ca` Deno loads the system and bundled ones (~10 ms).
      ca: req.insecure ? [] : req.ca,
      cert: req.cert,
      key: req.key,
      rejectUnauthorized: !req.insecure,
      agent: false,
    }, (res) => {
      const chunks: Uint8Array[] = [];
      let size = 0;
      res.on("data", (c: Uint8Array) => {
        size += c.length;
        if (size > maxBytes) {
          res.destroy();
          reject(
            new EdgeError(
              "UPSTREAM_BAD_RESPONSE",
              `${where}: response larger than ${maxBytes} bytes`,
            ),
          );
          return;
        }
        chunks.push(c);
      });
      res.on("end", () => {
        const out = new Uint8Array(size);
        let off = 0;
        for (const c of chunks) {
          out.set(c, off);
          off += c.length;
        }
        resolve({
          status: res.statusCode ?? 0,
          body: out,
          contentType: String(res.headers["content-type"] ?? ""),
        });
      });
      res.on("error", fail);
    });
    r.setTimeout(req.timeoutMs ?? 15_000, () => {
      r.destroy(
        Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }),
      );
    });
    r.on("error", fail);
    r.end(body);
  });
}

/** Response body as text, trimmed and cut to 300 characters (for messages). */
export function bodyText(res: HttpsResponse): string {
  const t = new TextDecoder().decode(res.body).trim();
  return t.length > 300 ? t.slice(0, 300) + "…" : t;
}
