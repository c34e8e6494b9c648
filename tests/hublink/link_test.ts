/**
 * The hub link in process against a real hub on loopback: delivery with
 * ACKs, the durable outbox across a hub restart, hub → node messages with
 * resend until ACK, pushed entries, certificate rotation and lock (the last
 * two over WebSocket and over QUIC).
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { IdentityEvents } from "../../src/identity/mod.ts";
import { startHubLink } from "../../src/hub/mod.ts";
import { newMessage } from "../../src/message/mod.ts";
import { openStore } from "../../src/store/mod.ts";
import {
  edgeConfig,
  enrollNode,
  renewNode,
  startLinkHub,
  waitFor,
} from "./_harness.ts";

function telemetry(i: number) {
  return newMessage({
    source: "spiffe://example.org/sensor",
    group: "user",
    operation: "publish",
    resource: "telemetry",
  }, { i });
}

Deno.test("messages published on the link reach the hub's sink once, in order, and leave the outbox on ACK", async () => {
  const h = await startLinkHub();
  const store = await openStore(`${h.dir}/pi-1`);
  const identity = new IdentityEvents();
  await identity.publish(await enrollNode(h.hub, "pi-1"));
  const link = await startHubLink({
    config: edgeConfig(h.dir, "pi-1", h.wsPort),
    identity,
    store,
  });
  try {
    for (let i = 0; i < 200; i++) await link.publish(telemetry(i));
    await waitFor(() => link.outbox.size === 0, "all ACKs");
    assertEquals(h.received.map((r) => (r.msg.content as { i: number }).i), [
      ...Array(200).keys(),
    ]);
    assert(h.received.every((r) => r.node === "pi-1"));
    assertEquals(link.status().state, "connected");
    assertEquals(link.status().outbox.acknowledged, 200);
  } finally {
    await link.close();
    await h.stop();
  }
});

Deno.test("messages queued while the hub is down survive a link restart and are delivered once after the hub returns", async () => {
  const h = await startLinkHub();
  const store = await openStore(`${h.dir}/pi-1`);
  const identity = new IdentityEvents();
  await identity.publish(await enrollNode(h.hub, "pi-1"));
  const config = edgeConfig(h.dir, "pi-1", h.wsPort);
  let link = await startHubLink({ config, identity, store });
  try {
    await link.publish(telemetry(0));
    await waitFor(() => link.outbox.size === 0, "first message ACKed");
    await h.stop();
    for (let i = 1; i < 50; i++) await link.publish(telemetry(i));
    await link.close(); // the runtime stops with 49 messages queued
    link = await startHubLink({ config, identity, store });
    assertEquals(link.outbox.size, 49);
    await h.restart();
    await waitFor(() => link.status().state === "connected", "reconnect");
    await waitFor(() => link.outbox.size === 0, "all ACKs");
    assertEquals(
      h.received.map((r) => (r.msg.content as { i: number }).i),
      [...Array(50).keys()],
    );
  } finally {
    await link.close();
    await h.stop();
  }
});

Deno.test("hub → node messages and entries arrive once; unacknowledged ones are resent after reconnect", async () => {
  const h = await startLinkHub({ hubOptions: { linkResendMs: 200 } });
  const store = await openStore(`${h.dir}/pi-1`);
  const identity = new IdentityEvents();
  await identity.publish(await enrollNode(h.hub, "pi-1"));
  const got: unknown[] = [];
  const entries: unknown[] = [];
  let fail = true;
  const link = await startHubLink({
    config: edgeConfig(h.dir, "pi-1", h.wsPort),
    identity,
    store,
    onEntries: (e) => void entries.push(e),
    onMessage: (m) => {
      if (fail) {
        fail = false;
        throw new Error("not ready"); // not ACKed → the hub resends
      }
      got.push(m.content);
    },
  });
  try {
    await waitFor(() => link.status().state === "connected", "link");
    await h.hub.links.setEntries("pi-1", [{
      spiffeId: "spiffe://example.org/sensor",
      selectors: ["unix:uid:1000"],
    }]);
    h.hub.links.send("pi-1", { resource: "config/led" }, { on: true });
    await waitFor(() => got.length === 1, "resent message");
    await waitFor(() => h.hub.links.stats().pendingToNodes === 0, "ACK");
    assertEquals(got, [{ on: true }]);
    assertEquals(entries.length, 1);
    await new Promise((r) => setTimeout(r, 400)); // no resend after the ACK
    assertEquals(got.length, 1);
  } finally {
    await link.close();
    await h.stop();
  }
});

for (const transport of ["websocket", "quic"] as const) {
  Deno.test(`${transport}: after a certificate rotation the link reconnects with the new certificate without losing queued messages`, async () => {
    const h = await startLinkHub();
    const store = await openStore(`${h.dir}/pi-1`);
    const identity = new IdentityEvents();
    const first = await enrollNode(h.hub, "pi-1");
    await identity.publish(first);
    const link = await startHubLink({
      config: edgeConfig(
        h.dir,
        "pi-1",
        h.wsPort,
        `  transport: ${transport}\n`,
        h.quicPort,
      ),
      identity,
      store,
    });
    try {
      await waitFor(() => link.status().connections === 1, "first link");
      const sending = (async () => {
        for (let i = 0; i < 500; i++) await link.publish(telemetry(i));
      })();
      await identity.publish(await renewNode(h.hub, first, "pi-1"));
      await sending;
      await waitFor(() => link.outbox.size === 0, "all ACKs");
      assertEquals(link.status().connections, 2);
      assertEquals(
        h.received.map((r) => (r.msg.content as { i: number }).i),
        [...Array(500).keys()],
      );
    } finally {
      await link.close();
      await h.stop();
    }
  });

  Deno.test(`${transport}: a locked node's link is closed within 1 s and its reconnects are refused with the hub's reason`, async () => {
    const h = await startLinkHub();
    const store = await openStore(`${h.dir}/pi-1`);
    const identity = new IdentityEvents();
    await identity.publish(await enrollNode(h.hub, "pi-1"));
    const link = await startHubLink({
      config: edgeConfig(
        h.dir,
        "pi-1",
        h.wsPort,
        `  transport: ${transport}\n`,
        h.quicPort,
      ),
      identity,
      store,
    });
    try {
      await waitFor(() => link.status().state === "connected", "link");
      const t0 = Date.now();
      await h.hub.authority.lockNode("pi-1");
      await waitFor(
        () => link.status().state !== "connected",
        "cut off",
        1_000,
      );
      assert(Date.now() - t0 < 1_000);
      await new Promise((r) => setTimeout(r, 1_500));
      assert(link.status().state !== "connected", "reconnected while locked");
      assertEquals(link.status().connections, 1);
      // The hub's reason reaches the node's status over both transports.
      assertStringIncludes(
        link.status().lastError ?? "",
        'the hub refused the node: node "pi-1" is locked',
      );
      await link.publish(telemetry(1));
      await h.hub.authority.unlockNode("pi-1");
      await waitFor(() => link.outbox.size === 0, "delivery after unlock");
    } finally {
      await link.close();
      await h.stop();
    }
  });
}
