/**
 * The admin endpoints of a real runtime process enrolled with a real hub
 * process: a workload fetches its SVIDs over the Workload API, then
 * `/metrics`, `/readyz` and `/healthz` are read with curl over the admin
 * Unix socket.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import {
  type Proc,
  ROOT,
  spawnProgram,
  startSystemHub,
  writeSystemConfigs,
} from "../../scripts/_system.ts";

async function curl(socket: string, path: string) {
  const out = await new Deno.Command("curl", {
    args: [
      "-sS",
      "--unix-socket",
      socket,
      "-w",
      "\n%{http_code}",
      `http://x${path}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const text = new TextDecoder().decode(out.stdout);
  const cut = text.lastIndexOf("\n");
  return { status: Number(text.slice(cut + 1)), body: text.slice(0, cut) };
}

/** The value of the sample `series` (name plus labels exactly as rendered). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function workload(endpoint: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", `${ROOT}/scripts/demo_workload.ts`, ...args],
    env: { SPIFFE_ENDPOINT_SOCKET: endpoint },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert(out.success, dec.decode(out.stdout) + dec.decode(out.stderr));
}

Deno.test("a running runtime reports health, readiness and its metrics on the admin socket, also with the hub down", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edge-admin-metrics-" });
  const procs: Proc[] = [];
  try {
    const sys = await writeSystemConfigs(dir);
    const adminSocket = `${dir}/edge-admin.sock`;
    const hub = await startSystemHub(sys);
    procs.push(hub);
    const edge = await spawnProgram(["run", "--config", sys.edgeConfig]);
    procs.push(edge);
    const endpoint =
      (await edge.waitFor(/SPIFFE_ENDPOINT_SOCKET=(unix:\/\/\S+)/, 60_000))[1];

    await workload(endpoint, "x509", "1");
    await workload(endpoint, "jwt", "metrics-test");

    // The server sees the client's cancel of the X509 stream a moment after
    // the workload exits: wait for it to be counted.
    const x509Cancelled =
      'edge_runtime_workload_api_requests_total{method="FetchX509SVID",code="1"}';
    let text = "";
    for (let i = 0; i < 100; i++) {
      const m = await curl(adminSocket, "/metrics");
      assertEquals(m.status, 200);
      text = m.body;
      if (sample(text, x509Cancelled) !== undefined) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const now = Date.now() / 1000;
    const notAfter = sample(
      text,
      "edge_runtime_node_certificate_not_after_seconds",
    );
    assert(notAfter !== undefined, text);
    // the hub's default node certificate lifetime is 24 h
    assert(notAfter > now && notAfter <= now + 86_400 + 60, `${notAfter}`);
    const next = sample(
      text,
      "edge_runtime_node_certificate_next_renewal_seconds",
    );
    assert(next !== undefined && next > now - 5 && next < notAfter, `${next}`);
    assertEquals(sample(text, 'edge_runtime_identity_phase{phase="valid"}'), 1);
    assertEquals(
      sample(text, 'edge_runtime_identity_phase{phase="enrolling"}'),
      0,
    );
    assertEquals(sample(text, 'edge_runtime_renewals_total{result="ok"}'), 0);
    assertEquals(
      sample(text, 'edge_runtime_renewals_total{result="failed"}'),
      0,
    );
    assertEquals(sample(text, "edge_runtime_upstream_reachable"), 1);
    const issued = sample(text, "edge_runtime_svids_issued_total");
    assert(issued !== undefined && issued >= 1, `${issued}`);
    assertEquals(sample(text, "edge_runtime_svids"), 1);
    assertEquals(sample(text, "edge_runtime_workload_api_entries"), 1);
    assertEquals(sample(text, x509Cancelled), 1);
    assertEquals(
      sample(
        text,
        'edge_runtime_workload_api_requests_total{method="FetchJWTSVID",code="0"}',
      ),
      1,
    );
    assertEquals(sample(text, "edge_runtime_workload_api_streams"), 0);
    assertEquals(
      sample(text, 'edge_runtime_intermediate_health{health="ok"}'),
      1,
    );
    const interNotAfter = sample(
      text,
      "edge_runtime_intermediate_not_after_seconds",
    );
    assert(interNotAfter !== undefined && interNotAfter > now, text);
    assertStringIncludes(text, "# TYPE edge_runtime_renewals_total counter\n");

    const ready = await curl(adminSocket, "/readyz");
    assertEquals(ready, { status: 200, body: "ready\n" });

    assertEquals(await hub.stop(), 0);
    assertEquals(await curl(adminSocket, "/healthz"), {
      status: 200,
      body: "ok\n",
    });
    const after = await curl(adminSocket, "/metrics");
    assertEquals(after.status, 200);
    assertEquals(
      sample(after.body, "edge_runtime_node_certificate_not_after_seconds"),
      notAfter,
    );
  } finally {
    await Promise.all(procs.map((p) => p.stop().catch(() => 0)));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
