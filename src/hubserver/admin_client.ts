/**
 * Client of the admin API over its Unix socket (`node:http` with
 * `socketPath`), for the `token` and `node` commands.
 * @module
 */
import http from "node:http";
import { EdgeError, type ErrorCode } from "../errors.ts";

/** Options of {@link adminRequest}. */
export interface AdminRequest {
  socketPath: string;
  credential: string;
  method: "GET" | "POST" | "DELETE";
  path: string;
  body?: unknown;
}

/**
 * Call the admin API; resolves with the JSON body of a 2xx answer. Throws
 * the API's error code with its message, or `HUB_UNAVAILABLE` when the hub
 * does not answer on the socket.
 */
export function adminRequest<T>(req: AdminRequest): Promise<T> {
  const payload = req.body === undefined
    ? undefined
    : new TextEncoder().encode(JSON.stringify(req.body));
  return new Promise<T>((resolve, reject) => {
    const r = http.request({
      socketPath: req.socketPath,
      method: req.method,
      path: req.path,
      headers: {
        authorization: `Bearer ${req.credential}`,
        ...(payload
          ? {
            "content-type": "application/json",
            "content-length": String(payload.length),
          }
          : {}),
      },
    }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (c: Uint8Array) => chunks.push(c));
      res.on("end", () => {
        const text = new TextDecoder().decode(
          chunks.length ? concatChunks(chunks) : new Uint8Array(),
        );
        let json: { error?: string; code?: string } | undefined;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300 && json) return resolve(json as T);
        const code = (json?.code ?? "HUB_UNAVAILABLE") as ErrorCode;
        reject(
          new EdgeError(
            code.startsWith("HUB_") ? code : "HUB_UNAVAILABLE",
            json?.error ?? `admin API answered ${status}`,
          ),
        );
      });
      res.on("error", reject);
    });
    r.on("error", (err) =>
      reject(
        new EdgeError(
          "HUB_UNAVAILABLE",
          `Cannot reach the hub's admin API at "${req.socketPath}": ${err.message} (is "edge-runtime hub" running with this config?)`,
          { cause: err },
        ),
      ));
    if (payload) r.write(payload);
    r.end();
  });
}

function concatChunks(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
