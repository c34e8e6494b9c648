import { assertEquals } from "../../tests/_fixtures/assert.ts";
import { FakeClock } from "../../tests/_fixtures/clock.ts";
import { createTestCa } from "../../tests/workloadapi/_ca.ts";
import {
  assertKeyMatchesCertificate,
  parsePrivateKeyDer,
  verifySvidChain,
} from "../pki/mod.ts";
import { issueX509Svid } from "./x509_svid.ts";

Deno.test("an entry's DNS names are added to its X509-SVID after the SPIFFE ID", async () => {
  const clock = new FakeClock(Date.now());
  const ca = await createTestCa("example.org", clock);
  const svid = await issueX509Svid({
    intermediate: await ca.intermediate(),
    spiffeId: "spiffe://example.org/web",
    ttlMs: 3_600_000,
    dnsNames: ["web.local", "web"],
    clock,
  });
  const leaf = svid.certificates[0];
  assertEquals(leaf.uris, ["spiffe://example.org/web"]);
  assertEquals(leaf.dnsNames, ["web.local", "web"]);
  const v = await verifySvidChain(leaf, svid.certificates.slice(1), [
    ca.root.cert,
  ], { clock });
  assertEquals(v.spiffeId, "spiffe://example.org/web");
});

Deno.test("an X509-SVID's PKCS#8 key belongs to its leaf", async () => {
  const ca = await createTestCa("example.org");
  const svid = await issueX509Svid({
    intermediate: await ca.intermediate(),
    spiffeId: "spiffe://example.org/db",
    ttlMs: 3_600_000,
  });
  const keys = await parsePrivateKeyDer(svid.privateKeyDer);
  await assertKeyMatchesCertificate(keys, svid.certificates[0]);
});
