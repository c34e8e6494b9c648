/**
 * Serves the message API on a Unix socket with `node:http` (so each
 * connection's file descriptor is known): the caller's kernel credentials
 * are captured at accept (SO_PEERCRED, {@link capturePeer}) and attested per
 * request with the Workload API's {@link UnixAttestor}. Responses stream
 * (server-sent events).
 * @module
 */
import http from "node:http";
import type { Socket } from "node:net";
import { EdgeError } from "../errors.ts";
import { prepareSocketPath } from "../net/unix_socket.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import {
  type AttestedPeer,
  capturePeer,
  type UnixAttestor,
} from "../workloadapi/mod.ts";
import type { MessageApiEnv } from "./app.ts";

/** Options of {@link serveUnixHttp}. */
export interface UnixHttpOptions {
  socketPath: string;
  /** @default 0o666 */
  socketMode?: number;
  attestor: UnixAttestor;
  fetch(req: Request, env: MessageApiEnv): Response | Promise<Response>;
  logger?: Logger;
}

/** A running Unix-socket HTTP server. */
export interface UnixHttpServer {
  readonly connections: number;
  close(): Promise<void>;
}

/** Start serving. */
export async function serveUnixHttp(
  o: UnixHttpOptions,
): Promise<UnixHttpServer> {
  const log = o.logger ?? nullLogger;
  const peers = new WeakMap<Socket, AttestedPeer | Error>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      log.error("message API request failed", { error: String(err) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    try {
      // deno-lint-ignore no-explicit-any
      peers.set(socket, capturePeer((socket as any)._handle?.fd));
    } catch (err) {
      peers.set(socket, err as Error);
    }
  });

  const handle = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) => {
    const chunks: Uint8Array[] = [];
    for await (const ch of req) chunks.push(ch as Uint8Array);
    const body = chunks.length ? new Blob(chunks as BlobPart[]) : undefined;
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    }
    const method = req.method ?? "GET";
    const ac = new AbortController();
    res.on("close", () => ac.abort());
    const request = new Request(`http://localhost${req.url ?? "/"}`, {
      method,
      headers,
      body: method === "GET" || method === "HEAD" ? undefined : body,
      signal: ac.signal,
    });
    const peer = peers.get(req.socket);
    const env: MessageApiEnv = {
      attest: async () => {
        if (!peer || peer instanceof Error) {
          throw new EdgeError(
            "ATTESTATION_FAILED",
            "could not read the caller's credentials",
          );
        }
        return await o.attestor.attest(peer);
      },
    };
    const response = await o.fetch(request, env);
    const out: Record<string, string> = {};
    response.headers.forEach((v, k) => out[k] = v);
    res.writeHead(response.status, out);
    if (!response.body) return void res.end();
    const reader = response.body.getReader();
    ac.signal.addEventListener("abort", () => reader.cancel().catch(() => {}));
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({
        done: true,
        value: undefined,
      }));
      if (done) break;
      res.write(value);
    }
    res.end();
  };

  await prepareSocketPath(o.socketPath, "hub.messageApi.socketPath");
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await Deno.chmod(o.socketPath, o.socketMode ?? 0o666);
  return {
    get connections() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        for (const s of sockets) s.destroy();
        Deno.removeSync(o.socketPath);
      }).catch(() => {}),
  };
}
