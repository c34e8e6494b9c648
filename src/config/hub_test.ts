import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "./mod.ts";

function errorsOf(yaml: string): string[] {
  try {
    parseConfig("hub", yaml);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return [...e.errors];
  }
  assert.fail("expected the configuration to be rejected");
}

Deno.test("an empty hub config gets every documented default", () => {
  const c = parseConfig("hub", "");
  assert.equal(c.stateDir, "/var/lib/edge-runtime-hub");
  assert.equal(c.trustDomain, "example.org");
  assert.deepEqual(c.ca, {
    mode: "generate",
    certFile: undefined,
    keyFile: undefined,
    commonName: "edge-runtime CA",
    ttl: 3650 * 86_400_000,
    offlineRoot: undefined,
  });
  assert.deepEqual(c.enroll, {
    listen: "127.0.0.1:10002",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    nodeCertTtl: 86_400_000,
    renewGrace: 0,
    intermediateTtl: 7 * 86_400_000,
    intermediateDnsDomains: [],
    rateLimit: { perSourcePerMinute: 600, perNodePerMinute: 30 },
  });
  assert.equal(c.tokens.defaultTtl, 86_400_000);
  assert.equal(c.websocket.listen, "127.0.0.1:10000");
  assert.deepEqual(c.quic, { enabled: false, listen: "127.0.0.1:10001" });
  assert.equal(c.admin.socketPath, "/run/edge-runtime-hub/admin.sock");
});

Deno.test("ca.mode import requires certFile and keyFile; offlineRoot only with import", () => {
  assert.deepEqual(errorsOf("ca: {mode: import}"), [
    'ca.certFile: required when ca.mode is "import" (expected an absolute path)',
    'ca.keyFile: required when ca.mode is "import" (expected an absolute path)',
  ]);
  assert.deepEqual(errorsOf("ca: {offlineRoot: {certFile: /r.pem}}"), [
    'ca.offlineRoot: only allowed when ca.mode is "import" (a generated CA is self-signed)',
  ]);
  const c = parseConfig(
    "hub",
    "ca: {mode: import, certFile: /c.pem, keyFile: /k.pem, offlineRoot: {certFile: /r.pem}}",
  );
  assert.equal(c.ca.offlineRoot?.certFile, "/r.pem");
});

Deno.test("node certificates and intermediates cannot outlive a generated CA", () => {
  assert.deepEqual(errorsOf("ca: {ttl: 2d}\nenroll: {nodeCertTtl: 3d}"), [
    'enroll.nodeCertTtl: expected at most ca.ttl (2d), got "3d"',
    'enroll.intermediateTtl: expected at most ca.ttl (2d), got "7d"',
  ]);
});

Deno.test("enrollment and WebSocket listeners must differ", () => {
  assert.deepEqual(errorsOf("websocket: {listen: '127.0.0.1:10002'}"), [
    'websocket.listen: expected an address other than enroll.listen, got "127.0.0.1:10002"',
  ]);
});

Deno.test("TLS names, addresses, rate limits and durations are checked item by item", () => {
  assert.deepEqual(
    errorsOf(
      "enroll:\n  dnsNames: [localhost, 'bad name']\n  ipAddresses: [127.0.0.1, '::1', 1.2.3]\n" +
        "  rateLimit: {perNodePerMinute: -1}\n  renewGrace: -1s\ntokens: {defaultTtl: 1x}\n",
    ),
    [
      'enroll.dnsNames[1]: expected a DNS name like "hub.example.org", got "bad name"',
      'enroll.ipAddresses[2]: expected an IP address, got "1.2.3"',
      "enroll.rateLimit.perNodePerMinute: expected an integer of at least 0, got -1",
      'enroll.renewGrace: expected a duration like "90s" or "1h30m", got "-1s" (cannot have a sign; durations are never negative)',
      'tokens.defaultTtl: expected a duration like "90s" or "1h30m", got "1x" (unknown unit "x")',
    ],
  );
});
