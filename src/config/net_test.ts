import assert from "node:assert/strict";
import {
  isHostname,
  isIp,
  isIPv4,
  isIPv6,
  isLoopback,
  parseHostPort,
} from "./net.ts";

Deno.test("isIPv4() and isIPv6() accept addresses and reject look-alikes", () => {
  for (const ok of ["127.0.0.1", "0.0.0.0", "255.255.255.255", "10.1.2.3"]) {
    assert.ok(isIPv4(ok), ok);
  }
  for (
    const bad of ["256.0.0.1", "1.2.3", "01.2.3.4", "1.2.3.4.5", "a.b.c.d", ""]
  ) {
    assert.ok(!isIPv4(bad), bad);
  }
  for (
    const ok of [
      "::1",
      "::",
      "fe80::1",
      "2001:db8::8a2e:370:7334",
      "::ffff:1.2.3.4",
    ]
  ) {
    assert.ok(isIPv6(ok), ok);
  }
  for (const bad of ["1::2::3", "gggg::1", "127.0.0.1", "[::1]", ":::"]) {
    assert.ok(!isIPv6(bad), bad);
  }
  assert.ok(isIp("::1") && isIp("1.2.3.4") && !isIp("localhost"));
});

Deno.test("isHostname() follows RFC 1123", () => {
  assert.ok(isHostname("localhost"));
  assert.ok(isHostname("hub.example.org"));
  assert.ok(!isHostname("-bad.example"));
  assert.ok(!isHostname("bad_name"));
  assert.ok(!isHostname("a".repeat(64)));
  assert.ok(!isHostname("1.2.3.999"));
});

Deno.test("parseHostPort() splits host and port and rejects malformed pairs", () => {
  assert.deepEqual(parseHostPort("127.0.0.1:10002"), {
    host: "127.0.0.1",
    port: 10002,
  });
  assert.deepEqual(parseHostPort("[::1]:443"), { host: "::1", port: 443 });
  assert.deepEqual(parseHostPort("hub.local:1"), {
    host: "hub.local",
    port: 1,
  });
  for (
    const bad of [
      "127.0.0.1",
      "127.0.0.1:0",
      "127.0.0.1:65536",
      ":80",
      "::1:80",
      "h:080",
      "h:-1",
      "h: 80",
      "[x]:80",
    ]
  ) {
    assert.equal(parseHostPort(bad), undefined, bad);
  }
});

Deno.test("isLoopback() covers 127.0.0.0/8, ::1 and localhost only", () => {
  assert.ok(
    isLoopback("127.0.0.1") && isLoopback("127.9.8.7") && isLoopback("::1"),
  );
  assert.ok(isLoopback("localhost"));
  assert.ok(
    !isLoopback("0.0.0.0") && !isLoopback("10.0.0.1") &&
      !isLoopback("127.example"),
  );
});
