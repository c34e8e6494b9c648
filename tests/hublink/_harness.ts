/**
 * Hub-link test harness: a real hub on loopback (WebSocket listener on an
 * ephemeral or fixed port), nodes enrolled through the real KubeEdge
 * enrollment API, and an edge config pointing at it.
 * @module
 */
import { parseConfig } from "../../src/config/mod.ts";
import type { EdgeConfig } from "../../src/config/mod.ts";
import {
  type Hub,
  type HubServerOptions,
  startHubServer,
} from "../../src/hubserver/mod.ts";
import { createHubUpstream } from "../../src/identity/upstream/hub.ts";
import { parseJoinToken } from "../../src/identity/token.ts";
import type { NodeIdentity } from "../../src/identity/state.ts";
import { generateKeyPair } from "../../src/pki/mod.ts";
import type { Message } from "../../src/message/mod.ts";

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A free UDP port on 127.0.0.1 (for QUIC). */
export function freeUdpPort(): number {
  const l = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A hub with a recording sink. */
export interface LinkHub {
  hub: Hub;
  dir: string;
  /** Messages received by the sink, in order. */
  received: { node: string; msg: Message }[];
  wsPort: number;
  /** UDP port of the hub's QUIC listener. */
  quicPort: number;
  stop(): Promise<void>;
  /** Stop and start again on the same ports and state dir. */
  restart(): Promise<void>;
}

/** Start a hub in `dir` (created when absent). */
export async function startLinkHub(
  o: {
    dir?: string;
    wsPort?: number;
    quicPort?: number;
    hubOptions?: HubServerOptions;
    /** More lines of hub.yaml (benchmarks: rate limits off). */
    extraConfig?: string;
  } = {},
): Promise<LinkHub> {
  const dir = o.dir ?? await Deno.makeTempDir({ prefix: "edge-hublink-" });
  const wsPort = o.wsPort ?? freePort();
  const quicPort = o.quicPort ?? freeUdpPort();
  const config = parseConfig(
    "hub",
    `stateDir: ${dir}/hub\nadmin:\n  socketPath: ${dir}/hub-admin.sock\n${
      o.extraConfig ?? ""
    }`,
  );
  const received: { node: string; msg: Message }[] = [];
  const start = () =>
    startHubServer(config, {
      enrollListen: { hostname: "127.0.0.1", port: 0 },
      websocketListen: { hostname: "127.0.0.1", port: wsPort },
      quicListen: { hostname: "127.0.0.1", port: quicPort },
      onNodeMessage: (node, msg) => void received.push({ node, msg }),
      ...o.hubOptions,
    });
  const self: LinkHub = {
    hub: await start(),
    dir,
    received,
    wsPort,
    quicPort,
    stop: () => self.hub.close(),
    async restart() {
      await self.hub.close();
      self.hub = await start();
    },
  };
  return self;
}

/** Enroll `node` with the hub; returns its identity. */
export async function enrollNode(
  hub: Hub,
  node: string,
): Promise<NodeIdentity> {
  const { token } = await hub.authority.createToken({ node });
  const up = createHubUpstream({ server: hub.enrollUrl, nodeName: node });
  return await up.enroll({
    keys: await generateKeyPair(),
    token: await parseJoinToken(token),
  });
}

/** Renew `id` with a fresh key (a certificate rotation). */
export async function renewNode(
  hub: Hub,
  id: NodeIdentity,
  node: string,
): Promise<NodeIdentity> {
  const up = createHubUpstream({ server: hub.enrollUrl, nodeName: node });
  return await up.renew({ keys: await generateKeyPair(), current: id });
}

/**
 * An edge config for `node` against `hub` (`extra`: more lines of the hub
 * section, e.g. `  transport: quic\n`). Reconnect delays are short (100 ms →
 * 500 ms) unless `reconnect` gives others (e.g. the defaults, `1s`/`60s`).
 */
export function edgeConfig(
  dir: string,
  node: string,
  wsPort: number,
  extra = "",
  quicPort?: number,
  reconnect: { initialDelay: string; maxDelay: string } = {
    initialDelay: "100ms",
    maxDelay: "500ms",
  },
): EdgeConfig {
  const quic = quicPort ? `  quicServer: 127.0.0.1:${quicPort}\n` : "";
  return parseConfig(
    "edge",
    `node:\n  name: ${node}\nstateDir: ${dir}/${node}\nhub:\n${quic}  websocketServer: 127.0.0.1:${wsPort}\n  heartbeat: 1s\n  reconnect:\n    initialDelay: ${reconnect.initialDelay}\n    maxDelay: ${reconnect.maxDelay}\n  messageApi:\n    socketPath: ${dir}/${node}-messages.sock\n${extra}`,
  );
}

/** Poll `cond` every 5 ms until true or `timeoutMs` passes. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
