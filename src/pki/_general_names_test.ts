import assert from "node:assert/strict";
import { ctx, DerError, ia5String, seq, tlv } from "./_der.ts";
import {
  ipBytes,
  ipText,
  parseGeneralNames,
  parseNameConstraints,
} from "./_general_names.ts";
import { x509 } from "./_x509.ts";

Deno.test("SAN IP addresses read back as @peculiar/x509 writes them", () => {
  const ips = [
    "10.0.0.7",
    "::1",
    "::",
    "fd00::7",
    "2001:db8:0:1:0:0:0:1",
    "1:0:0:2:0:0:0:3",
    "1:0:2:0:3:0:4:0",
    "2001:db8:85a3:8d3:1319:8a2e:370:7348",
  ];
  const ext = new x509.SubjectAlternativeNameExtension(
    ips.map((value) => ({ type: "ip" as const, value })),
  );
  const lib = new x509.SubjectAlternativeNameExtension(ext.rawData).names
    .items.map((n) => n.value);
  const ours = parseGeneralNames(new Uint8Array(ext.value)).map((n) =>
    ipText(n.bytes)
  );
  assert.deepEqual(ours, lib);
  assert.deepEqual(ours.slice(0, 4), ["10.0.0.7", "::1", "::", "fd00::7"]);
});

Deno.test("GeneralNames keep every kind and refuse a non-context tag", () => {
  const ext = new x509.SubjectAlternativeNameExtension([
    { type: "dns", value: "a.example" },
    { type: "url", value: "spiffe://td/x" },
    { type: "email", value: "a@example.org" },
  ]);
  const names = parseGeneralNames(new Uint8Array(ext.value));
  assert.deepEqual(names.map((n) => n.kind), ["dns", "uri", "email"]);
  // SEQUENCE { UTF8String "x" } is not a GeneralName.
  assert.throws(
    () => parseGeneralNames(Uint8Array.of(0x30, 3, 0x0c, 1, 0x78)),
    DerError,
  );
});

Deno.test("name constraints keep minimum and maximum for the verifier", () => {
  const der = seq(
    tlv(ctx(0, true), seq(ia5String("a", 0x82), Uint8Array.of(0x80, 1, 1))),
    tlv(ctx(1, true), seq(ia5String("b", 0x86))),
  );
  const nc = parseNameConstraints(der);
  assert.deepEqual(nc.permitted.map((s) => [s.base.kind, s.minimum]), [
    ["dns", 1],
  ]);
  assert.deepEqual(nc.excluded.map((s) => [s.base.kind, s.minimum]), [
    ["uri", 0],
  ]);
});

Deno.test("ipBytes encodes IPv4, IPv6 with :: and an IPv4 tail, and refuses anything else", () => {
  const hex = (t: string) =>
    Array.from(ipBytes(t), (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(hex("10.0.0.7"), "0a000007");
  assert.equal(hex("::1"), "0".repeat(31) + "1");
  assert.equal(hex("::"), "0".repeat(32));
  assert.equal(hex("fd00::7"), "fd00" + "0".repeat(24) + "0007");
  assert.equal(hex("::ffff:192.0.2.1"), "0".repeat(20) + "ffffc0000201");
  assert.equal(ipText(ipBytes("2001:DB8:0:0:1::1")), "2001:db8::1:0:0:1");
  for (
    const bad of [
      "",
      "10.0.0",
      "256.0.0.1",
      "1.2.3.4.5",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7::8",
      "12345::",
      "g::1",
      "example.org",
    ]
  ) {
    assert.throws(() => ipBytes(bad), TypeError, bad);
  }
});
