import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "./mod.ts";

const MIN = "node:\n  name: pi-1\n";

function errorsOf(yaml: string): string[] {
  try {
    parseConfig("edge", yaml);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.code, "CONFIG_INVALID");
    return [...e.errors];
  }
  assert.fail("expected the configuration to be rejected");
}

Deno.test("a minimal edge config gets every documented default", () => {
  const c = parseConfig("edge", MIN);
  assert.equal(c.node.name, "pi-1");
  assert.equal(c.trustDomain, "example.org");
  assert.equal(c.stateDir, "/var/lib/edge-runtime");
  assert.deepEqual(c.log, { level: "info", format: "auto" });
  assert.equal(c.identity.upstream, "hub");
  assert.equal(c.identity.token, undefined);
  assert.equal(c.identity.wipeTokenFile, false);
  assert.deepEqual(c.identity.renewal, {
    renewAfterMin: 0.7,
    renewAfterMax: 0.9,
    backoffInitial: 2_000,
    backoffMax: 32_000,
  });
  assert.equal(c.identity.sink, undefined);
  assert.equal(c.hub.httpServer, "https://127.0.0.1:10002");
  assert.equal(c.hub.transport, "websocket");
  assert.equal(c.hub.websocketServer, "127.0.0.1:10000");
  assert.equal(c.hub.quicServer, "127.0.0.1:10001");
  assert.equal(c.hub.projectId, "e632aba927ea4ac2b575ec1603d56f10");
  assert.equal(c.hub.heartbeat, 15_000);
  assert.equal(c.hub.outbox.maxMessages, 10000);
  assert.equal(c.vault.mount, "pki");
  assert.equal(c.vault.address, undefined);
  assert.equal(c.workloadApi.enabled, true);
  assert.equal(c.workloadApi.socketPath, "/run/edge-runtime/workload.sock");
  assert.equal(c.workloadApi.socketMode, 0o666);
  assert.equal(c.workloadApi.svidTtl, 3_600_000);
  assert.equal(c.workloadApi.jwtSvidTtl, 300_000);
  assert.equal(c.workloadApi.intermediateTtl, 7 * 86_400_000);
  assert.deepEqual(c.workloadApi.entries, []);
  assert.deepEqual(c.sinks, []);
  assert.equal(c.admin.socketPath, "/run/edge-runtime/admin.sock");
});

Deno.test("hub.httpServer errors read exactly 'expected an https:// URL, got …'", () => {
  assert.deepEqual(errorsOf(MIN + "hub:\n  httpServer: htp://x\n"), [
    'hub.httpServer: expected an https:// URL, got "htp://x"',
  ]);
  assert.deepEqual(
    errorsOf(MIN + "hub:\n  httpServer: http://127.0.0.1:10002\n"),
    [
      'hub.httpServer: expected an https:// URL, got "http://127.0.0.1:10002"',
    ],
  );
});

Deno.test("node.name is required and must be a lowercase DNS name", () => {
  assert.deepEqual(errorsOf("log: {level: info}"), [
    'node.name: required field is missing (expected a lowercase DNS name like "pi-1")',
  ]);
  for (const bad of ["Pi", "-pi", "pi_1", "a".repeat(64), "pi..1"]) {
    assert.equal(errorsOf(`node: {name: "${bad}"}`).length, 1, bad);
  }
  assert.equal(
    parseConfig("edge", "node: {name: rack-2.pi-1}").node.name,
    "rack-2.pi-1",
  );
});

Deno.test("trustDomain accepts a name or ID and rejects invalid ones with the SPIFFE rule", () => {
  assert.equal(
    parseConfig("edge", MIN + "trustDomain: spiffe://corp.example\n")
      .trustDomain,
    "corp.example",
  );
  assert.deepEqual(errorsOf(MIN + "trustDomain: Corp.example\n"), [
    'trustDomain: expected a trust domain like "example.org", got "Corp.example" (trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores)',
  ]);
});

Deno.test("vault fields are required only when identity.upstream is vault", () => {
  assert.deepEqual(
    errorsOf(MIN + "identity: {upstream: vault}\nvault: {mount: pki}\n"),
    [
      'vault.address: required when identity.upstream is "vault" (expected an https:// URL)',
      'vault.role: required when identity.upstream is "vault" (expected a PKI role name)',
      'vault.tokenFile: required when identity.upstream is "vault" (expected an absolute path)',
    ],
  );
  const c = parseConfig(
    "edge",
    MIN + "identity: {upstream: vault}\n" +
      "vault: {address: https://127.0.0.1:8200, role: edge, tokenFile: /etc/vault-token, ttl: 12h}\n",
  );
  assert.equal(c.vault.ttl, 12 * 3_600_000);
  assert.equal(c.vault.role, "edge");
});

Deno.test("token rules: not both token and tokenFile, wiping needs a tokenFile, token never echoed", () => {
  assert.deepEqual(
    errorsOf(
      MIN + "identity: {token: abc.def, tokenFile: /t, wipeTokenFile: true}\n",
    ),
    ["identity.tokenFile: cannot be set together with identity.token; choose one"],
  );
  assert.deepEqual(errorsOf(MIN + "identity: {wipeTokenFile: true}\n"), [
    "identity.wipeTokenFile: is true but identity.tokenFile is not set",
  ]);
  const errors = errorsOf(MIN + "identity: {token: [s3cr3t-token]}\n");
  assert.deepEqual(errors, [
    "identity.token: expected a non-empty string, got a list",
  ]);
  const numeric = errorsOf(MIN + "identity: {token: 987654321}\n");
  assert.ok(!numeric.join().includes("987654321"), numeric.join());
});

Deno.test("renewal fractions and backoff must be ordered", () => {
  assert.deepEqual(
    errorsOf(
      MIN +
        "identity:\n  renewal: {renewAfterMin: 0.9, renewAfterMax: 0.8, backoffInitial: 1m, backoffMax: 30s}\n",
    ),
    [
      "identity.renewal.renewAfterMin: expected at most renewAfterMax (0.8), got 0.9",
      'identity.renewal.backoffInitial: expected at most backoffMax (30s), got "1m"',
    ],
  );
  assert.deepEqual(
    errorsOf(MIN + "identity:\n  renewal: {renewAfterMax: 1.5}\n"),
    [
      "identity.renewal.renewAfterMax: expected a number from 0.1 to 0.95, got 1.5",
    ],
  );
});

Deno.test("workload entries: valid IDs in the trust domain, non-root, known selectors", () => {
  const c = parseConfig(
    "edge",
    MIN +
      "workloadApi:\n  entries:\n    - spiffeId: spiffe://example.org/web\n" +
      "      selectors: [unix:uid:1000, 'unix:path:/usr/bin/web']\n      ttl: 30m\n      hint: web\n",
  );
  assert.deepEqual(c.workloadApi.entries, [{
    spiffeId: "spiffe://example.org/web",
    selectors: ["unix:uid:1000", "unix:path:/usr/bin/web"],
    ttl: 1_800_000,
    hint: "web",
    dnsNames: undefined,
  }]);
  assert.deepEqual(
    errorsOf(
      MIN + "workloadApi:\n  entries:\n" +
        "    - {spiffeId: spiffe://example.org, selectors: [unix:uid:1]}\n" +
        "    - {spiffeId: 'spiffe://example.org/a/', selectors: [unix:uid:1]}\n" +
        "    - {spiffeId: spiffe://other.org/a, selectors: ['unix:gid:x', 'k8s:ns:a']}\n" +
        "    - {spiffeId: spiffe://example.org/b, selectors: []}\n" +
        "    - {selectors: [unix:uid:1], ttl: 8d}\n" +
        "    - {spiffeId: spiffe://example.org/node/pi-2, selectors: [unix:uid:1]}\n",
    ),
    [
      'workloadApi.entries[0].spiffeId: expected a SPIFFE ID with a path, like "spiffe://example.org/app", got "spiffe://example.org" (a workload ID needs a path)',
      'workloadApi.entries[1].spiffeId: expected a SPIFFE ID with a path, like "spiffe://example.org/app", got "spiffe://example.org/a/" (path cannot have a trailing slash)',
      'workloadApi.entries[2].selectors[0]: expected a selector like "unix:uid:1000", got "unix:gid:x" (expected a numeric group ID)',
      'workloadApi.entries[2].selectors[1]: expected a selector like "unix:uid:1000", got "k8s:ns:a" (unknown kind "k8s:ns"; known kinds: unix:uid, unix:gid, unix:user, unix:group, unix:path, unix:sha256, container:id)',
      "workloadApi.entries[3].selectors: expected a list of at least 1 item, got an empty list",
      'workloadApi.entries[4].spiffeId: required field is missing (expected a SPIFFE ID with a path, like "spiffe://example.org/app")',
      'workloadApi.entries[5].spiffeId: expected a SPIFFE ID with a path, like "spiffe://example.org/app", got "spiffe://example.org/node/pi-2" (the path "/node/…" is reserved for node identities issued by the hub)',
      'workloadApi.entries[4].ttl: expected at most workloadApi.intermediateTtl (7d), got "8d"',
      'workloadApi.entries[2].spiffeId: expected a SPIFFE ID in trust domain "example.org", got "spiffe://other.org/a"',
    ],
  );
});

Deno.test("svidTtl cannot exceed the intermediate's lifetime; socketMode must be a quoted octal", () => {
  assert.deepEqual(
    errorsOf(
      MIN +
        "workloadApi: {svidTtl: 2d, intermediateTtl: 1d, socketMode: 0660}\n",
    ),
    [
      'workloadApi.socketMode: expected an octal mode string like "0660", got 660 (quote it, e.g. "0660")',
      'workloadApi.svidTtl: expected at most workloadApi.intermediateTtl (1d), got "2d"',
    ],
  );
  assert.equal(
    parseConfig("edge", MIN + "workloadApi: {socketMode: '0600'}").workloadApi
      .socketMode,
    0o600,
  );
});

Deno.test("sinks and the node identity sink need absolute paths; reloadCommand is an argv list", () => {
  const c = parseConfig(
    "edge",
    MIN +
      "identity:\n  sink: {certFile: /c, keyFile: /k, caFile: /ca, reloadCommand: [systemctl, reload, x]}\n" +
      "sinks:\n  - {certFile: /s/c, keyFile: /s/k, bundleFile: /s/b}\n",
  );
  assert.deepEqual(c.identity.sink?.reloadCommand, [
    "systemctl",
    "reload",
    "x",
  ]);
  assert.equal(c.sinks[0].spiffeId, undefined);
  assert.deepEqual(
    errorsOf(
      MIN +
        "identity:\n  sink: {certFile: c, keyFile: /k, caFile: /ca, reloadCommand: 'systemctl reload x'}\n" +
        "sinks:\n  - {spiffeId: spiffe://other.org/x, certFile: /c, keyFile: /k}\n",
    ),
    [
      'identity.sink.certFile: expected an absolute path, got "c"',
      'identity.sink.reloadCommand: expected a list of at least 1 item, got "systemctl reload x"',
      "sinks[0].bundleFile: required field is missing (expected an absolute path)",
      'sinks[0].spiffeId: expected a SPIFFE ID in trust domain "example.org", got "spiffe://other.org/x"',
    ],
  );
});

Deno.test("many errors in one file are all reported, with did-you-mean for typos", () => {
  const errors = errorsOf(
    "node: {name: pi-1}\nidentity: {upstrem: vault}\nhub: {heartbeat: 15, transport: tcp, websocketServer: 'localhost'}\nlogg: {}\n",
  );
  assert.deepEqual(errors, [
    'identity.upstrem: unknown key (did you mean "upstream"?)',
    'hub.heartbeat: expected a duration like "90s" or "1h30m", got 15 (add a unit, for example "15s")',
    'hub.transport: expected one of "websocket", "quic", "auto", got "tcp"',
    'hub.websocketServer: expected a host:port address like "127.0.0.1:10000", got "localhost"',
    'logg: unknown key (did you mean "log"?)',
  ]);
});
