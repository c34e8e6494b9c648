import assert from "node:assert/strict";
import { parseTrustDomain, SpiffeIdError, type SpiffeIdRule } from "./mod.ts";

Deno.test("parseTrustDomain() accepts a name or a trust domain ID", () => {
  assert.equal(parseTrustDomain("example.org").name, "example.org");
  assert.equal(parseTrustDomain("spiffe://example.org").name, "example.org");
  const td = parseTrustDomain("a_b-c.9");
  assert.equal(td.idString(), "spiffe://a_b-c.9");
  assert.equal(`${td}`, "a_b-c.9");
  assert.ok(td.equals(parseTrustDomain("spiffe://a_b-c.9")));
  assert.equal(parseTrustDomain("t".repeat(255)).name.length, 255);
});

Deno.test("parseTrustDomain() rejects each broken rule", () => {
  const cases: [string, SpiffeIdRule][] = [
    ["", "empty"],
    ["Example.org", "trust_domain_chars"],
    ["exa mple", "trust_domain_chars"],
    ["t".repeat(256), "trust_domain_too_long"],
    ["user@example.org", "userinfo"],
    ["example.org:443", "port"],
    ["ex%41mple", "percent_encoding"],
    ["SPIFFE://example.org", "scheme"],
    ["https://example.org", "scheme"],
    ["spiffe:example.org", "authority"],
    ["spiffe://", "trust_domain_missing"],
    ["spiffe://example.org/workload", "trust_domain_has_path"],
    ["spiffe://example.org/", "trust_domain_has_path"],
    ["spiffe://Example.org/x", "trust_domain_chars"],
    ["spiffe://example.org?x", "query"],
    ["spiffe://example.org#x", "fragment"],
  ];
  for (const [input, rule] of cases) {
    assert.throws(() => parseTrustDomain(input), (e: unknown) => {
      assert.ok(e instanceof SpiffeIdError, String(e));
      assert.equal(e.rule, rule, input);
      assert.equal(e.code, "SPIFFE_ID_INVALID");
      const shown = JSON.stringify(input.slice(0, 120)).slice(0, -1);
      assert.ok(e.message.startsWith(`trust domain ${shown}`), e.message);
      return true;
    });
  }
});
