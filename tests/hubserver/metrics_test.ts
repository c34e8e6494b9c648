/**
 * The hub's `/metrics` and `/status` on its admin socket, read with real
 * curl, while real clients act on a real hub on loopback: an enrollment and
 * a renewal through the runtime's hub upstream, a node intermediate, refused
 * and rate-limited requests and an oversized body with curl, node links over
 * WebSocket and QUIC with the runtime's hub link, messages both ways, and a
 * lock through the admin API. Every scrape is checked by the official
 * Prometheus parser and linter (promlint).
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { IdentityEvents, identityPem } from "../../src/identity/mod.ts";
import { startHubLink } from "../../src/hub/mod.ts";
import { newMessage } from "../../src/message/mod.ts";
import { openStore } from "../../src/store/mod.ts";
import { requestNodeIntermediate } from "../../src/svid/intermediate_client.ts";
import {
  adminRequest,
  type HubStatus,
  readAdminCredential,
} from "../../src/hubserver/mod.ts";
import { METRICS_CONTENT_TYPE } from "../../src/admin/mod.ts";
import {
  edgeConfig,
  enrollNode,
  renewNode,
  startLinkHub,
  waitFor,
} from "../hublink/_harness.ts";
import { makeCsr, nodeSubject, run } from "./_hub.ts";
import { curlSocket, sample, scrape } from "./_admin_socket.ts";
import { promlint } from "./_promlint.ts";

/** A scrape that must pass promlint; returns the value reader. */
async function metrics(socket: string) {
  const text = await scrape(socket);
  assertEquals(await promlint(text), [], text);
  return (series: string) => sample(text, series);
}

Deno.test("the hub's counters move after a real enrollment, renewal, intermediate, refusal, link connect, messages and a lock", async () => {
  const h = await startLinkHub();
  const socket = `${h.dir}/hub-admin.sock`;
  const store = await openStore(`${h.dir}/pi-1`);
  const identity = new IdentityEvents();
  let link: Awaited<ReturnType<typeof startHubLink>> | undefined;
  try {
    let m = await metrics(socket);
    assertEquals(m('edge_runtime_hub_enrollments_total{result="ok"}'), 0);
    assertEquals(m('edge_runtime_hub_nodes{state="active"}'), 0);
    assertEquals(m('edge_runtime_hub_node_links{transport="websocket"}'), 0);
    assertEquals(m('edge_runtime_hub_node_links{transport="quic"}'), 0);
    assertEquals(m("edge_runtime_hub_ready"), 1);

    // Enrollment (join token) and renewal (client certificate) over HTTPS.
    const id = await enrollNode(h.hub, "pi-1");
    const renewed = await renewNode(h.hub, id, "pi-1");
    await identity.publish(renewed);
    // A node intermediate for offline rotation.
    const pem = await identityPem(renewed);
    await requestNodeIntermediate({
      hubUrl: h.hub.enrollUrl,
      nodeName: "pi-1",
      trustDomain: "example.org",
      node: {
        certChainPem: pem.certPem,
        keyPem: pem.keyPem,
        bundlePem: pem.caPem,
      },
    });
    // A refusal: an enrollment with a token that is not one.
    const caFile = `${h.dir}/ca.pem`;
    await Deno.writeTextFile(caFile, h.hub.caPem);
    const { csr } = await makeCsr(h.dir, "x", nodeSubject("pi-9"));
    const refused = await run("curl", [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "--cacert",
      caFile,
      "--data-binary",
      `@${csr}`,
      "-H",
      "NodeName: pi-9",
      "-H",
      "Authorization: Bearer not.a.token",
      `${h.hub.enrollUrl}/edge.crt`,
    ]);
    assertEquals(refused.text, "401");

    m = await metrics(socket);
    assertEquals(m('edge_runtime_hub_enrollments_total{result="ok"}'), 1);
    assertEquals(
      m('edge_runtime_hub_enrollments_total{result="unauthorized"}'),
      1,
    );
    assertEquals(m('edge_runtime_hub_renewals_total{result="ok"}'), 1);
    assertEquals(m('edge_runtime_hub_intermediates_total{result="ok"}'), 1);
    assertEquals(m("edge_runtime_hub_tokens_created_total"), 1);
    assertEquals(m("edge_runtime_hub_tokens_used_total"), 1);
    assertEquals(m('edge_runtime_hub_tokens{status="used"}'), 1);
    assertEquals(m('edge_runtime_hub_tokens{status="active"}'), 0);
    assertEquals(m('edge_runtime_hub_nodes{state="active"}'), 1);

    // A node link over WebSocket, and a message from the node.
    link = await startHubLink({
      config: edgeConfig(h.dir, "pi-1", h.wsPort),
      identity,
      store,
    });
    await waitFor(() => link!.status().state === "connected", "link up");
    await link.publish(newMessage({
      source: "spiffe://example.org/sensor",
      group: "user",
      operation: "publish",
      resource: "telemetry",
    }, { t: 21.5 }));
    await waitFor(() => link!.outbox.size === 0, "ACK");
    // A message to the node through the admin API (with the credential).
    const credential = (await readAdminCredential(
      await openStore(`${h.dir}/hub`),
    ))!;
    await adminRequest({
      socketPath: socket,
      credential,
      method: "POST",
      path: "/v1/nodes/pi-1/messages",
      body: { resource: "config", content: { interval: 5 } },
    });
    await waitFor(
      () => h.hub.links.stats().pendingToNodes === 0,
      "node ACK",
    );
    m = await metrics(socket);
    assertEquals(m('edge_runtime_hub_node_links{transport="websocket"}'), 1);
    assertEquals(
      m('edge_runtime_hub_node_link_connects_total{transport="websocket"}'),
      1,
    );
    assertEquals(
      m('edge_runtime_hub_node_link_disconnects_total{transport="websocket"}'),
      0,
    );
    assertEquals(m("edge_runtime_hub_messages_received_total"), 1);
    assertEquals(m("edge_runtime_hub_messages_sent_total"), 1);
    assertEquals(m("edge_runtime_hub_messages_pending"), 0);

    // Lock: the link is cut and the node counted as locked.
    await adminRequest({
      socketPath: socket,
      credential,
      method: "POST",
      path: "/v1/nodes/pi-1/lock",
    });
    await waitFor(() => h.hub.links.connectedNodes().length === 0, "cut");
    m = await metrics(socket);
    assertEquals(
      m('edge_runtime_hub_node_operations_total{operation="lock",result="ok"}'),
      1,
    );
    assertEquals(m('edge_runtime_hub_nodes{state="locked"}'), 1);
    assertEquals(m('edge_runtime_hub_nodes{state="active"}'), 0);
    assertEquals(m('edge_runtime_hub_node_links{transport="websocket"}'), 0);
    assertEquals(
      m('edge_runtime_hub_node_link_disconnects_total{transport="websocket"}'),
      1,
    );
    // Every audit line written is counted.
    const lines = (await Deno.readTextFile(h.hub.auditPath)).trim().split(
      "\n",
    );
    assertEquals(m("edge_runtime_hub_audit_lines_total"), lines.length);

    // /status says the same, without the credential.
    const res = await curlSocket(socket, "/status");
    assertEquals(res.status, 200);
    const status = JSON.parse(res.body) as HubStatus & { pid: number };
    assertEquals(status.pid, Deno.pid);
    assertEquals(status.ca.hash, h.hub.caHash);
    assertEquals(status.nodes, { active: 0, locked: 1, revoked: 0, total: 1 });
    assertEquals(status.links.connects, { websocket: 1, quic: 0 });
    assertEquals(status.counters.enrollments, { ok: 1, unauthorized: 1 });
    assertEquals(status.counters.renewals, { ok: 1 });
    assertEquals(status.messages.receivedFromNodes, 1);
    assertEquals(status.messages.sentToNodes, 1);
    assertEquals(status.listeners.websocket.listening, true);
    assertEquals(status.listeners.quic?.listening, true);
    assertEquals(status.audit.linesWritten, lines.length);
    // No secret in it: neither the credential nor a node name.
    assert(!res.body.includes(credential));
    assert(!res.body.includes("pi-1"));
  } finally {
    await link?.close();
    await h.stop();
    await Deno.remove(h.dir, { recursive: true });
  }
});

Deno.test("a QUIC node link is counted under transport quic, and a reconnect over WebSocket moves it", async () => {
  const h = await startLinkHub();
  const socket = `${h.dir}/hub-admin.sock`;
  const identity = new IdentityEvents();
  await identity.publish(await enrollNode(h.hub, "pi-2"));
  const store = await openStore(`${h.dir}/pi-2`);
  let link = await startHubLink({
    config: edgeConfig(
      h.dir,
      "pi-2",
      h.wsPort,
      "  transport: quic\n",
      h.quicPort,
    ),
    identity,
    store,
  });
  try {
    await waitFor(() => link.status().state === "connected", "QUIC link");
    let m = await metrics(socket);
    assertEquals(m('edge_runtime_hub_node_links{transport="quic"}'), 1);
    assertEquals(
      m('edge_runtime_hub_node_link_connects_total{transport="quic"}'),
      1,
    );
    await link.close();
    await waitFor(() => h.hub.links.connectedNodes().length === 0, "closed");
    link = await startHubLink({
      config: edgeConfig(h.dir, "pi-2", h.wsPort),
      identity,
      store,
    });
    await waitFor(() => link.status().state === "connected", "WS link");
    m = await metrics(socket);
    assertEquals(m('edge_runtime_hub_node_links{transport="quic"}'), 0);
    assertEquals(m('edge_runtime_hub_node_links{transport="websocket"}'), 1);
    assertEquals(
      m('edge_runtime_hub_node_link_disconnects_total{transport="quic"}'),
      1,
    );
  } finally {
    await link.close();
    await h.stop();
    await Deno.remove(h.dir, { recursive: true });
  }
});

Deno.test("rate-limited and oversized signing requests are counted by class, endpoint and limit", async () => {
  const h = await startLinkHub({
    extraConfig: "enroll:\n  rateLimit:\n    perNodePerMinute: 2\n",
  });
  const socket = `${h.dir}/hub-admin.sock`;
  try {
    const caFile = `${h.dir}/ca.pem`;
    await Deno.writeTextFile(caFile, h.hub.caPem);
    const { csr } = await makeCsr(h.dir, "rl", nodeSubject("rl"));
    const big = `${h.dir}/big.der`;
    await Deno.writeFile(big, new Uint8Array((1 << 20) + 1));
    const post = async (body: string, bearer: boolean) =>
      (await run("curl", [
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--cacert",
        caFile,
        "--data-binary",
        `@${body}`,
        "-H",
        "NodeName: rl",
        ...(bearer ? ["-H", "Authorization: Bearer x.y.z"] : []),
        `${h.hub.enrollUrl}/edge.crt`,
      ])).text;
    // Two allowed (and refused as unauthorized), then the node's limit.
    assertEquals(await post(csr, true), "401");
    assertEquals(await post(csr, false), "401");
    assertEquals(await post(csr, true), "429");
    assertEquals(await post(big, true), "413");
    const m = await metrics(socket);
    assertEquals(
      m('edge_runtime_hub_enrollments_total{result="unauthorized"}'),
      1,
    );
    assertEquals(
      m('edge_runtime_hub_renewals_total{result="unauthorized"}'),
      1,
    );
    assertEquals(
      m('edge_runtime_hub_enrollments_total{result="rate_limited"}'),
      1,
    );
    assertEquals(
      m('edge_runtime_hub_enrollments_total{result="too_large"}'),
      1,
    );
    assertEquals(
      m('edge_runtime_hub_rate_limited_total{endpoint="/edge.crt",limit="node"}'),
      1,
    );
    assertEquals(
      m(
        'edge_runtime_hub_rate_limited_total{endpoint="/edge.crt",limit="source"}',
      ),
      0,
    );
  } finally {
    await h.stop();
    await Deno.remove(h.dir, { recursive: true });
  }
});

Deno.test("health, readiness, status and metrics need no credential; the mutating API still does", async () => {
  const h = await startLinkHub();
  const socket = `${h.dir}/hub-admin.sock`;
  try {
    assertEquals((await Deno.stat(socket)).mode! & 0o777, 0o600);
    const health = await curlSocket(socket, "/healthz");
    assertEquals([health.status, health.body], [200, "ok\n"]);
    const ready = await curlSocket(socket, "/readyz");
    assertEquals([ready.status, ready.body], [200, "ready\n"]);
    const m = await curlSocket(socket, "/metrics");
    assertEquals(m.status, 200);
    assertEquals(m.contentType, METRICS_CONTENT_TYPE);
    assertStringIncludes(m.body, "# TYPE edge_runtime_hub_nodes gauge\n");
    assertEquals((await curlSocket(socket, "/status")).status, 200);
    const ca = await curlSocket(socket, "/v1/ca");
    assertEquals(ca.status, 401);
    const wrong = await curlSocket(socket, "/v1/nodes", {
      Authorization: "Bearer nope",
    });
    assertEquals(wrong.status, 401);
  } finally {
    await h.stop();
    await Deno.remove(h.dir, { recursive: true });
  }
});
