import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../../tests/_fixtures/assert.ts";
import { MetricsRegistry, registerRuntimeMetrics } from "../metrics/mod.ts";
import type { IdentityStatus } from "../identity/status.ts";
import {
  type HubMetricSources,
  type LinkStatsSource,
  refusalClass,
  registerHubMetrics,
} from "./hub_metrics.ts";
import type { NodeState } from "./registry.ts";
import type { TokenView } from "./tokens.ts";

function sample(text: string, series: string): string | undefined {
  return text.split("\n").find((l) => l.startsWith(series + " "))?.slice(
    series.length + 1,
  );
}

function fixture() {
  const state = {
    connected: [] as string[],
    nodes: [] as { state: NodeState }[],
    tokens: [] as Pick<TokenView, "status">[],
    links: { received: 0, duplicates: 0, pendingToNodes: 0 } as LinkStatsSource,
  };
  const sources: HubMetricSources = {
    caNotAfter: () => new Date("2036-01-01T00:00:00Z"),
    tls: () => ({
      notAfter: new Date("2026-01-08T00:00:00Z"),
      nextRenewal: Date.parse("2026-01-05T16:00:00Z"),
    }),
    tokens: () => state.tokens,
    nodes: () => Promise.resolve(state.nodes),
    connectedNodes: () => state.connected,
    links: () => state.links,
    transports: ["websocket", "quic"],
    crl: () => ({
      number: 3,
      nextUpdate: Date.parse("2026-01-08T00:00:00Z"),
      revokedSerials: 2,
    }),
    ready: () => ({ ready: false, reasons: ["x"] }),
  };
  const registry = new MetricsRegistry();
  const hooks = registerHubMetrics(registry, sources);
  return { state, registry, hooks };
}

Deno.test("every hub metric is named edge_runtime_hub_, none is a runtime metric, and the counters start at 0", () => {
  const { registry } = fixture();
  assert(registry.names().every((n) => n.startsWith("edge_runtime_hub_")));
  // Both sets on one registry: a shared name would throw TypeError.
  registerRuntimeMetrics(registry, {
    identity: () => ({ phase: "valid" }) as IdentityStatus,
  });
  const text = registry.render();
  for (const m of ["enrollments", "renewals", "intermediates"]) {
    for (const r of ["ok", "unauthorized", "forbidden", "rate_limited"]) {
      assertEquals(
        sample(text, `edge_runtime_hub_${m}_total{result="${r}"}`),
        "0",
      );
    }
  }
  assertEquals(
    sample(
      text,
      'edge_runtime_hub_rate_limited_total{endpoint="/edge.crt",limit="node"}',
    ),
    "0",
  );
  assertEquals(sample(text, "edge_runtime_hub_tokens_created_total"), "0");
  assertEquals(sample(text, "edge_runtime_hub_audit_lines_total"), "0");
  assertEquals(
    sample(text, 'edge_runtime_hub_node_links{transport="quic"}'),
    "0",
  );
  assertEquals(sample(text, "edge_runtime_hub_ready"), "0");
});

Deno.test("certificate and CRL dates are unix seconds", () => {
  const text = fixture().registry.render();
  assertEquals(
    sample(text, "edge_runtime_hub_ca_not_after_seconds"),
    String(Date.parse("2036-01-01T00:00:00Z") / 1000),
  );
  assertEquals(
    sample(text, "edge_runtime_hub_tls_cert_not_after_seconds"),
    String(Date.parse("2026-01-08T00:00:00Z") / 1000),
  );
  assertEquals(
    sample(text, "edge_runtime_hub_tls_cert_next_renewal_seconds"),
    String(Date.parse("2026-01-05T16:00:00Z") / 1000),
  );
  assertEquals(sample(text, "edge_runtime_hub_crl_revoked_serials"), "2");
});

Deno.test("signing results, rate limits and audited decisions feed their counters", () => {
  const { registry, hooks } = fixture();
  hooks.onSigning("enroll", "ok");
  hooks.onSigning("enroll", refusalClass(401));
  hooks.onSigning("renew", refusalClass(403));
  hooks.onSigning("intermediate", refusalClass(418));
  hooks.onRateLimited("/node-ca.crt", "source");
  hooks.onAudit([
    { action: "token.create", outcome: "ok" },
    { action: "token.use", outcome: "ok" },
    { action: "enroll", outcome: "ok" },
  ]);
  hooks.onAudit([{ action: "node.lock", outcome: "ok" }]);
  hooks.onAudit([{ action: "node.revoke", outcome: "refused" }]);
  hooks.onAudit([{ action: "token.revoke", outcome: "refused" }]);
  const text = registry.render();
  const v = (s: string) => sample(text, s);
  assertEquals(v('edge_runtime_hub_enrollments_total{result="ok"}'), "1");
  assertEquals(
    v('edge_runtime_hub_enrollments_total{result="unauthorized"}'),
    "1",
  );
  assertEquals(v('edge_runtime_hub_renewals_total{result="forbidden"}'), "1");
  assertEquals(
    v('edge_runtime_hub_intermediates_total{result="internal"}'),
    "1",
  );
  assertEquals(
    v('edge_runtime_hub_rate_limited_total{endpoint="/node-ca.crt",limit="source"}'),
    "1",
  );
  assertEquals(v("edge_runtime_hub_tokens_created_total"), "1");
  assertEquals(v("edge_runtime_hub_tokens_used_total"), "1");
  assertEquals(v("edge_runtime_hub_tokens_revoked_total"), "0");
  assertEquals(
    v('edge_runtime_hub_node_operations_total{operation="lock",result="ok"}'),
    "1",
  );
  assertEquals(
    v('edge_runtime_hub_node_operations_total{operation="revoke",result="refused"}'),
    "1",
  );
  assertEquals(v("edge_runtime_hub_audit_lines_total"), "6");
  assertEquals(hooks.counters().enrollments, { ok: 1, unauthorized: 1 });
  assertEquals(hooks.counters().rateLimited, 1);
});

Deno.test("node links are counted by transport; disconnects are connects that are no longer live", () => {
  const { state, registry, hooks } = fixture();
  hooks.onLinkAttached("websocket", "pi-1");
  hooks.onLinkAttached("quic", "pi-2");
  state.connected = ["pi-1", "pi-2"];
  assertEquals(hooks.links(), {
    connected: { websocket: 1, quic: 1 },
    connects: { websocket: 1, quic: 1 },
    disconnects: { websocket: 0, quic: 0 },
  });
  // pi-1 comes back over QUIC (its WebSocket link is replaced), pi-2 drops.
  hooks.onLinkAttached("quic", "pi-1");
  state.connected = ["pi-1"];
  assertEquals(hooks.links(), {
    connected: { websocket: 0, quic: 1 },
    connects: { websocket: 1, quic: 2 },
    disconnects: { websocket: 1, quic: 1 },
  });
  const text = registry.render();
  assertEquals(
    sample(text, 'edge_runtime_hub_node_links{transport="quic"}'),
    "1",
  );
  assertEquals(
    sample(
      text,
      'edge_runtime_hub_node_link_disconnects_total{transport="websocket"}',
    ),
    "1",
  );
  assertStringIncludes(
    text,
    "# TYPE edge_runtime_hub_node_link_connects_total counter\n",
  );
});

Deno.test("node counts are read by refresh() and token counts at each scrape", async () => {
  const { state, registry, hooks } = fixture();
  state.nodes = [{ state: "active" }, { state: "locked" }, { state: "active" }];
  state.tokens = [{ status: "active" }, { status: "expired" }];
  assertEquals(
    sample(registry.render(), 'edge_runtime_hub_nodes{state="active"}'),
    "0",
  );
  await hooks.refresh();
  const text = registry.render();
  assertEquals(sample(text, 'edge_runtime_hub_nodes{state="active"}'), "2");
  assertEquals(sample(text, 'edge_runtime_hub_nodes{state="locked"}'), "1");
  assertEquals(sample(text, 'edge_runtime_hub_tokens{status="expired"}'), "1");
  assertEquals(hooks.nodes(), { active: 2, locked: 1, revoked: 0 });
});

Deno.test("message counters read the node links' statistics; absent fields leave their family out", () => {
  const { state, registry } = fixture();
  state.links = { received: 5, duplicates: 1, pendingToNodes: 2 };
  let text = registry.render();
  assertEquals(sample(text, "edge_runtime_hub_messages_received_total"), "5");
  assertEquals(sample(text, "edge_runtime_hub_messages_pending"), "2");
  assert(!text.includes("edge_runtime_hub_messages_sent_total"));
  state.links = { ...state.links, sent: 7, resent: 3 };
  text = registry.render();
  assertEquals(sample(text, "edge_runtime_hub_messages_sent_total"), "7");
  assertEquals(sample(text, "edge_runtime_hub_messages_resent_total"), "3");
});

Deno.test("docs/metrics.md lists exactly the hub's metrics in its table", async () => {
  const doc = await Deno.readTextFile(
    new URL("../../docs/metrics.md", import.meta.url),
  );
  const section = doc.slice(doc.indexOf("\n## The reference hub"));
  const documented = [...section.matchAll(/^\| `(edge_runtime_hub_\w+)`/gm)]
    .map((m) => m[1]).sort();
  assertEquals(documented, fixture().registry.names());
});
