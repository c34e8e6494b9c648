import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../../tests/_fixtures/assert.ts";
import type { IdentityStatus } from "../identity/status.ts";
import { MetricsRegistry } from "./registry.ts";
import {
  registerRuntimeMetrics,
  type WorkloadApiMetricSource,
} from "./runtime_metrics.ts";

const status: IdentityStatus = {
  node: "pi-01",
  spiffeId: "spiffe://example.org/node/pi-01",
  phase: "valid",
  notAfter: "2030-01-01T00:00:00.000Z",
  nextRenewal: "2029-12-31T12:00:00.000Z",
  failures: 0,
  upstream: { kind: "hub", endpoint: "https://127.0.0.1:1", reachable: true },
};

function sample(text: string, series: string): string | undefined {
  return text.split("\n").find((l) => l.startsWith(series + " "))?.slice(
    series.length + 1,
  );
}

Deno.test("every runtime metric is named edge_runtime_ and the counters start at 0", () => {
  const r = new MetricsRegistry();
  registerRuntimeMetrics(r, { identity: () => status });
  assert(r.names().every((n) => n.startsWith("edge_runtime_")));
  const text = r.render();
  assertEquals(sample(text, 'edge_runtime_renewals_total{result="ok"}'), "0");
  assertEquals(
    sample(text, 'edge_runtime_renewals_total{result="failed"}'),
    "0",
  );
  assertEquals(sample(text, "edge_runtime_svids_issued_total"), "0");
  assertEquals(
    sample(
      text,
      'edge_runtime_workload_api_requests_total{method="FetchX509SVID",code="0"}',
    ),
    "0",
  );
});

Deno.test("identity gauges show NotAfter and next renewal in unix seconds and the phase as a state set", () => {
  let s = status;
  const r = new MetricsRegistry();
  registerRuntimeMetrics(r, { identity: () => s });
  let text = r.render();
  assertEquals(
    sample(text, "edge_runtime_node_certificate_not_after_seconds"),
    String(Date.parse("2030-01-01T00:00:00Z") / 1000),
  );
  assertEquals(
    sample(text, "edge_runtime_node_certificate_next_renewal_seconds"),
    String(Date.parse("2029-12-31T12:00:00Z") / 1000),
  );
  assertEquals(sample(text, 'edge_runtime_identity_phase{phase="valid"}'), "1");
  assertEquals(
    sample(text, 'edge_runtime_identity_phase{phase="expired"}'),
    "0",
  );
  assertEquals(sample(text, "edge_runtime_upstream_reachable"), "1");
  s = {
    ...status,
    phase: "enrolling",
    notAfter: undefined,
    nextRenewal: undefined,
    upstream: { kind: "hub", endpoint: "x" },
  };
  text = r.render();
  assertEquals(
    sample(text, "edge_runtime_node_certificate_not_after_seconds"),
    undefined,
  );
  assertEquals(sample(text, "edge_runtime_upstream_reachable"), undefined);
  assertEquals(
    sample(text, 'edge_runtime_identity_phase{phase="enrolling"}'),
    "1",
  );
});

Deno.test("hooks feed the renewal, SVID and Workload API request counters", () => {
  const r = new MetricsRegistry();
  const hooks = registerRuntimeMetrics(r, { identity: () => status });
  hooks.onRenewal("ok");
  hooks.onRenewal("failed");
  hooks.onRenewal("failed");
  hooks.onSvidIssued();
  hooks.onWorkloadCall("FetchJWTSVID", 0);
  hooks.onWorkloadCall("FetchJWTSVID", 7);
  const text = r.render();
  assertEquals(sample(text, 'edge_runtime_renewals_total{result="ok"}'), "1");
  assertEquals(
    sample(text, 'edge_runtime_renewals_total{result="failed"}'),
    "2",
  );
  assertEquals(sample(text, "edge_runtime_svids_issued_total"), "1");
  assertEquals(
    sample(
      text,
      'edge_runtime_workload_api_requests_total{method="FetchJWTSVID",code="7"}',
    ),
    "1",
  );
});

Deno.test("Workload API gauges appear only while it serves", () => {
  const held: { api?: WorkloadApiMetricSource } = {};
  const r = new MetricsRegistry();
  registerRuntimeMetrics(r, {
    identity: () => status,
    workloadApi: () => held.api,
    intermediateNotAfter: () => held.api && new Date(2_000_000_000_000),
  });
  let text = r.render();
  assert(!text.includes("edge_runtime_workload_api_connections"));
  assert(!text.includes("edge_runtime_intermediate_health"));
  held.api = {
    intermediate: "degraded",
    entries: 2,
    svids: 1,
    connections: 3,
    streams: 4,
  };
  text = r.render();
  assertEquals(sample(text, "edge_runtime_workload_api_connections"), "3");
  assertEquals(sample(text, "edge_runtime_workload_api_streams"), "4");
  assertEquals(sample(text, "edge_runtime_workload_api_entries"), "2");
  assertEquals(sample(text, "edge_runtime_svids"), "1");
  assertEquals(
    sample(text, 'edge_runtime_intermediate_health{health="degraded"}'),
    "1",
  );
  assertEquals(
    sample(text, 'edge_runtime_intermediate_health{health="ok"}'),
    "0",
  );
  assertEquals(
    sample(text, "edge_runtime_intermediate_not_after_seconds"),
    "2000000000",
  );
  assertStringIncludes(text, 'edge_runtime_build_info{version="');
});

Deno.test("docs/metrics.md lists exactly the runtime's metrics in its tables", async () => {
  const doc = await Deno.readTextFile(
    new URL("../../docs/metrics.md", import.meta.url),
  );
  const section = doc.slice(0, doc.indexOf("\n## The reference hub"));
  const documented = [...section.matchAll(/^\| `(edge_runtime_\w+)`/gm)]
    .map((m) => m[1]).sort();
  const r = new MetricsRegistry();
  registerRuntimeMetrics(r, { identity: () => status });
  assertEquals(documented, r.names());
});
