/**
 * `hub.transport` selection in the link manager against a real hub on
 * loopback: `quic` and `auto` connect over QUIC; `auto` falls back to
 * WebSocket when QUIC fails, tries QUIC again later and moves over without
 * losing or reordering messages.
 */
import { assert, assertEquals } from "../_fixtures/assert.ts";
import { EdgeError } from "../../src/errors.ts";
import { IdentityEvents } from "../../src/identity/mod.ts";
import {
  createQuicTransport,
  createWebSocketTransport,
  type HubTransport,
  startHubLink,
  transportsFromConfig,
} from "../../src/hub/mod.ts";
import { newMessage } from "../../src/message/mod.ts";
import { openStore } from "../../src/store/mod.ts";
import { edgeConfig, enrollNode, startLinkHub, waitFor } from "./_harness.ts";

function telemetry(i: number) {
  return newMessage({
    source: "spiffe://example.org/sensor",
    group: "user",
    operation: "publish",
    resource: "telemetry",
  }, { i });
}

Deno.test("the config's transport picks the transports: websocket, quic, auto = QUIC then WebSocket", () => {
  const kinds = (t: string) =>
    transportsFromConfig(
      edgeConfig("/tmp/x", "pi-1", 1, `  transport: ${t}\n`, 2),
    ).map((x) => x.kind);
  assertEquals(kinds("websocket"), ["websocket"]);
  assertEquals(kinds("quic"), ["quic"]);
  assertEquals(kinds("auto"), ["quic", "websocket"]);
});

Deno.test("with transport auto the link runs over QUIC when the hub serves it", async () => {
  const h = await startLinkHub();
  const identity = new IdentityEvents();
  await identity.publish(await enrollNode(h.hub, "pi-1"));
  const link = await startHubLink({
    config: edgeConfig(
      h.dir,
      "pi-1",
      h.wsPort,
      "  transport: auto\n",
      h.quicPort,
    ),
    identity,
    store: await openStore(`${h.dir}/pi-1`),
  });
  try {
    for (let i = 0; i < 100; i++) await link.publish(telemetry(i));
    await waitFor(() => link.outbox.size === 0, "all ACKs");
    assertEquals(link.status().transport, "quic");
    assertEquals(
      h.received.map((r) => (r.msg.content as { i: number }).i),
      [...Array(100).keys()],
    );
  } finally {
    await link.close();
    await h.stop();
  }
});

Deno.test("auto falls back to WebSocket when QUIC fails and moves back to QUIC once it answers, losing nothing", async () => {
  const h = await startLinkHub();
  const identity = new IdentityEvents();
  await identity.publish(await enrollNode(h.hub, "pi-1"));
  // UDP blocked on the way to the hub, then open again: QUIC's connect fails
  // as it does when its packets are dropped.
  let udpBlocked = true;
  const quic = createQuicTransport({
    server: `127.0.0.1:${h.quicPort}`,
    nodeName: "pi-1",
  });
  const attempts: string[] = [];
  const flaky: HubTransport = {
    kind: "quic",
    connect(creds, handlers, signal) {
      attempts.push(udpBlocked ? "blocked" : "open");
      if (udpBlocked) {
        return Promise.reject(
          new EdgeError("LINK_CLOSED", "no answer within 5000 ms"),
        );
      }
      return quic.connect(creds, handlers, signal);
    },
  };
  const ws = createWebSocketTransport({
    server: `127.0.0.1:${h.wsPort}`,
    nodeName: "pi-1",
    projectId: "e632aba927ea4ac2b575ec1603d56f10",
  });
  const link = await startHubLink({
    config: edgeConfig(
      h.dir,
      "pi-1",
      h.wsPort,
      "  transport: auto\n",
      h.quicPort,
    ),
    identity,
    store: await openStore(`${h.dir}/pi-1`),
    transports: [flaky, ws],
    preferredRetryMs: 200,
  });
  try {
    await waitFor(() => link.status().state === "connected", "link");
    assertEquals(link.status().transport, "websocket");
    assertEquals(
      link.status().connections,
      1,
      "no backoff before falling back",
    );
    const sending = (async () => {
      for (let i = 0; i < 300; i++) await link.publish(telemetry(i));
    })();
    await waitFor(() => attempts.length >= 3, "QUIC retried later");
    udpBlocked = false;
    await waitFor(() => link.status().transport === "quic", "moved to QUIC");
    await sending;
    await waitFor(() => link.outbox.size === 0, "all ACKs");
    assertEquals(link.status().connections, 2);
    assertEquals(h.hub.links.stats().sessions, 1);
    const got = h.received.map((r) => (r.msg.content as { i: number }).i);
    assertEquals(got, [...Array(300).keys()], "exactly once, in order");
    assert(attempts.at(-1) === "open");
  } finally {
    await link.close();
    await h.stop();
  }
});
