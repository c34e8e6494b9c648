/**
 * The contract every {@link HubTransport} meets, run against each transport
 * against a real hub on loopback (WebSocket and QUIC): connect with the node certificate, messages both ways in order,
 * the hub's close is seen, a node with another node's name is refused.
 */
import { assert, assertEquals, assertRejects } from "../_fixtures/assert.ts";
import { isEdgeError } from "../../src/errors.ts";
import {
  createQuicTransport,
  createWebSocketTransport,
  type HubTransport,
} from "../../src/hub/mod.ts";
import { identityPem } from "../../src/identity/mod.ts";
import { type Message, newMessage } from "../../src/message/mod.ts";
import { enrollNode, type LinkHub, startLinkHub, waitFor } from "./_harness.ts";

const transports: Record<string, (h: LinkHub, node: string) => HubTransport> = {
  websocket: (h, node) =>
    createWebSocketTransport({
      server: `127.0.0.1:${h.wsPort}`,
      nodeName: node,
      projectId: "e632aba927ea4ac2b575ec1603d56f10",
    }),
  quic: (h, node) =>
    createQuicTransport({ server: `127.0.0.1:${h.quicPort}`, nodeName: node }),
};

for (const [name, make] of Object.entries(transports)) {
  Deno.test(`${name}: messages flow both ways in order and the hub's close ends the connection`, async () => {
    const h = await startLinkHub();
    try {
      const creds = await identityPem(await enrollNode(h.hub, "pi-1"));
      const got: Message[] = [];
      const acked: string[] = [];
      const conn = await make(h, "pi-1").connect(creds, {
        onMessage: (m) => got.push(m),
        onAck: (id) => acked.push(id),
      });
      assertEquals(conn.transport, name);
      const sent: string[] = [];
      for (let i = 0; i < 100; i++) {
        const m = newMessage({ operation: "publish", resource: "r" }, i);
        sent.push(m.header.msg_id);
        conn.send(m);
      }
      await waitFor(() => h.received.length === 100, "hub receives");
      assertEquals(h.received.map((r) => r.msg.content), [
        ...Array(100).keys(),
      ]);
      await waitFor(() => acked.length === 100, "ACKs");
      assertEquals(acked, sent, "every message ACKed once, in order");
      assertEquals(got, [], "ACKs come through onAck only");
      h.hub.links.send("pi-1", { resource: "down" }, "hello");
      await waitFor(() => got.some((m) => m.content === "hello"), "hub → node");
      h.hub.sessions.closeNode("pi-1", "test");
      const info = await conn.closed;
      assertEquals(info.code, 4003);
    } finally {
      await h.stop();
    }
  });

  Deno.test(`${name}: a certificate for another node is refused`, async () => {
    const h = await startLinkHub();
    try {
      const creds = await identityPem(await enrollNode(h.hub, "pi-2"));
      await assertRejects(
        () =>
          make(h, "pi-1").connect(creds, {
            onMessage: () => {},
            onAck: () => {},
          }),
        (e) =>
          assert(
            isEdgeError(e, "LINK_CLOSED") || isEdgeError(e, "LINK_AUTH_FAILED"),
            String(e),
          ),
      );
      assertEquals(h.hub.links.stats().sessions, 0);
    } finally {
      await h.stop();
    }
  });
}
