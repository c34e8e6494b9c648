/**
 * The WebSocket transport, wire-compatible with KubeEdge CloudHub: mTLS with
 * the node certificate to `wss://<server>/<projectID>/<nodeName>/events`,
 * headers `node_id`, `project_id`, `ConnectionUse: msg`, one JSON message per
 * text frame. Facts: shared/reference/kubeedge.md.
 * @module
 */
import { EdgeError } from "../errors.ts";
import { ACK_BATCH, ACK_BATCH_HEADER, encodeMessage } from "../message/mod.ts";
import {
  type CloseInfo,
  type ConnectionHandlers,
  deliverText,
  type HubConnection,
  type HubTransport,
  type LinkCredentials,
} from "./transport.ts";

/** Options of {@link createWebSocketTransport}. */
export interface WebSocketTransportOptions {
  /** `host:port` of the hub's WebSocket listener. */
  server: string;
  /** This node's name. */
  nodeName: string;
  /** KubeEdge project ID. */
  projectId: string;
  /** Give up connecting after this long. @default 10000 */
  connectTimeoutMs?: number;
  /** Largest message accepted. @default 1 MiB */
  maxMessageBytes?: number;
}

/** The CloudHub URL of a node. */
export function cloudHubUrl(
  server: string,
  projectId: string,
  nodeName: string,
): string {
  return `wss://${server}/${encodeURIComponent(projectId)}/${
    encodeURIComponent(nodeName)
  }/events`;
}

/** The CloudHub handshake headers of a node. */
export function cloudHubHeaders(
  projectId: string,
  nodeName: string,
): Record<string, string> {
  return { node_id: nodeName, project_id: projectId, ConnectionUse: "msg" };
}

/** Build the WebSocket {@link HubTransport}. */
export function createWebSocketTransport(
  options: WebSocketTransportOptions,
): HubTransport {
  const url = cloudHubUrl(options.server, options.projectId, options.nodeName);
  // CloudHub's headers, and a request for batched ACKs (a hub that does not
  // know it ACKs one by one).
  const headers = {
    ...cloudHubHeaders(options.projectId, options.nodeName),
    [ACK_BATCH_HEADER]: ACK_BATCH,
  };
  return {
    kind: "websocket",
    connect(creds, handlers, signal) {
      return connectWebSocket(url, headers, creds, handlers, options, signal);
    },
  };
}

/**
 * Why the hub refuses this node, from a plain HTTPS request to the events
 * URL (the hub answers 401/403 with the reason, else 426); `undefined` when
 * it does not refuse it or cannot be asked.
 */
async function refusalReason(
  url: string,
  headers: Record<string, string>,
  client: Deno.HttpClient,
): Promise<string | undefined> {
  const res = await fetch(url.replace(/^wss:/, "https:"), {
    headers,
    client,
    signal: AbortSignal.timeout(2_000),
  });
  const text = (await res.text()).trim().slice(0, 300);
  return res.status === 401 || res.status === 403
    ? `the hub refused the node: ${text}`
    : undefined;
}

function connectWebSocket(
  url: string,
  headers: Record<string, string>,
  creds: LinkCredentials,
  handlers: ConnectionHandlers,
  options: WebSocketTransportOptions,
  signal?: AbortSignal,
): Promise<HubConnection> {
  const client = Deno.createHttpClient({
    cert: creds.certPem,
    key: creds.keyPem,
    caCerts: [creds.caPem],
  });
  const ws = new WebSocket(url, { headers, client });
  const closed = Promise.withResolvers<CloseInfo>();
  let open = false;
  let done = false;
  const finish = (info: CloseInfo) => {
    if (done) return;
    done = true;
    try {
      client.close();
    } catch { /* already closed */ }
    closed.resolve(info);
  };
  return new Promise<HubConnection>((resolve, reject) => {
    const timer = setTimeout(() => {
      fail(`no answer within ${options.connectTimeoutMs ?? 10_000} ms`);
    }, options.connectTimeoutMs ?? 10_000);
    const onAbort = () => fail("aborted");
    signal?.addEventListener("abort", onAbort, { once: true });
    const fail = (why: string) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      try {
        ws.close();
      } catch { /* not open */ }
      finish({ code: 1006, reason: why });
      reject(
        new EdgeError("LINK_CLOSED", `cannot connect to ${url}: ${why}`),
      );
    };
    ws.onopen = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      open = true;
      resolve(conn);
    };
    // Deno's WebSocket does not show why a handshake was refused; the hub
    // answers the same refusal to a plain request (403 locked, revoked, …),
    // so ask once before giving up.
    let refused = false;
    const handshakeFailed = (why: string) => {
      if (refused) return;
      refused = true;
      refusalReason(url, headers, client).then(
        (reason) => fail(reason ?? why),
        () => fail(why),
      );
    };
    ws.onerror = (ev) => {
      if (!open) {
        handshakeFailed((ev as ErrorEvent).message ?? "connection refused");
      }
    };
    ws.onclose = (ev) => {
      if (!open) {
        return handshakeFailed(`closed during the handshake (${ev.code})`);
      }
      finish({ code: ev.code, reason: ev.reason });
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== "string") {
        handlers.onInvalid?.(new Error("binary frame ignored"));
        return;
      }
      deliverText(ev.data, handlers, options.maxMessageBytes);
    };
    const conn: HubConnection = {
      transport: "websocket",
      send(msg) {
        conn.sendText(encodeMessage(msg));
      },
      sendText(text) {
        if (done || ws.readyState !== WebSocket.OPEN) {
          throw new EdgeError("LINK_CLOSED", "the hub link is closed");
        }
        ws.send(text); // one message per frame (CloudHub)
      },
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      closed: closed.promise,
      close(reason = "closing") {
        if (done) return;
        try {
          ws.close(1000, reason.slice(0, 120));
        } catch { /* closing */ }
        // Do not wait for the hub's close frame forever.
        const t = setTimeout(
          () => finish({ code: 1000, reason }),
          2_000,
        );
        closed.promise.then(() => clearTimeout(t));
      },
    };
  });
}
