/**
 * A node intermediate may sign workload SVIDs (URIs in the trust domain) and,
 * only when the hub allows it, DNS names under configured subtrees — never
 * an arbitrary host name or IP address (a stolen device must not be able to
 * mint a certificate for the hub). Checked with `openssl verify` (RFC 5280
 * name constraints as OpenSSL/Go clients apply them) and our verifier.
 */
import { assertEquals, assertMatch } from "../_fixtures/assert.ts";
import { openssl, writeFiles } from "../pki_openssl/_openssl.ts";
import {
  type Certificate,
  encodeCertificatePem,
  generateKeyPair,
  issueCertificate,
  verifyChain,
} from "../../src/pki/mod.ts";
import { bodyText, httpsRequest } from "../../src/net/https_client.ts";
import { startTestHub, type TestHub } from "./_hub.ts";
import { enrollNode, nodeIntermediateFor } from "./_node.ts";

async function nodeIntermediate(t: TestHub, ttlMs?: number) {
  const { identity, creds } = await enrollNode(t, "node-a");
  const ca = await nodeIntermediateFor(t, "node-a", creds, ttlMs);
  return { ca, root: identity.caBundle[0], creds };
}

type NodeCa = Awaited<ReturnType<typeof nodeIntermediate>>;

async function leaf(
  n: NodeCa,
  names: { dnsNames?: string[]; ipAddresses?: string[] },
): Promise<Certificate> {
  const keys = await generateKeyPair(true);
  return await issueCertificate({
    issuer: { cert: n.ca.cert, keys: n.ca.keys },
    subjectPublicKey: keys.publicKey,
    profile: "leaf",
    uris: ["spiffe://example.org/web"],
    ...names,
    extKeyUsages: ["serverAuth", "clientAuth"],
    ttlMs: 3_600_000,
  });
}

/** openssl verify exit code and output, plus whether our verifier accepts. */
async function verdict(t: TestHub, n: NodeCa, cert: Certificate) {
  await writeFiles(t.dir, {
    "root.pem": encodeCertificatePem(n.root.der),
    "node-ca.pem": encodeCertificatePem(n.ca.cert.der),
    "leaf.pem": encodeCertificatePem(cert.der),
  });
  const o = await openssl(t.dir, [
    "verify",
    "-CAfile",
    "root.pem",
    "-untrusted",
    "node-ca.pem",
    "leaf.pem",
  ]);
  let ours = "ok";
  try {
    await verifyChain(cert.der, [n.ca.cert.der], [n.root.der]);
  } catch (err) {
    ours = (err as Error).message;
  }
  return { openssl: o.code === 0 ? "ok" : o.stdout + o.stderr, ours };
}

Deno.test("by default a node intermediate signs SPIFFE IDs but no DNS name or IP address", async () => {
  await using t = await startTestHub();
  const n = await nodeIntermediate(t);
  assertEquals(await verdict(t, n, await leaf(n, {})), {
    openssl: "ok",
    ours: "ok",
  });
  for (
    const names of [{ dnsNames: ["localhost"] }, {
      ipAddresses: ["127.0.0.1"],
    }, { ipAddresses: ["::1"] }]
  ) {
    const v = await verdict(t, n, await leaf(n, names));
    assertMatch(v.openssl, /subtree violation|name constraint/i);
    assertMatch(v.ours, /name constraint|not permitted|excluded/i);
  }
});

Deno.test("enroll.intermediateDnsDomains lets node intermediates sign names under those subtrees only", async () => {
  await using t = await startTestHub(
    "enroll:\n  intermediateDnsDomains: [svc.example.org]\n",
  );
  const n = await nodeIntermediate(t);
  assertEquals(
    await verdict(t, n, await leaf(n, { dnsNames: ["web.svc.example.org"] })),
    { openssl: "ok", ours: "ok" },
  );
  const v = await verdict(t, n, await leaf(n, { dnsNames: ["localhost"] }));
  assertMatch(v.openssl, /subtree violation|name constraint/i);
  assertMatch(v.ours, /name constraint|not permitted|excluded/i);
});

Deno.test("a node's requested intermediate lifetime is honoured up to the hub's enroll.intermediateTtl; a malformed one is refused", async () => {
  await using t = await startTestHub("enroll:\n  intermediateTtl: 2d\n");
  const lifetime = (n: NodeCa) =>
    n.ca.cert.notAfter.getTime() - n.ca.cert.notBefore.getTime();
  const HOUR = 3_600_000;
  // NotBefore is backdated 10 s for clock skew.
  const short = await nodeIntermediate(t, 3 * HOUR);
  assertEquals(Math.round(lifetime(short) / 60_000), 3 * 60);
  const long = await nodeIntermediate(t, 30 * 24 * HOUR);
  assertEquals(Math.round(lifetime(long) / 60_000), 48 * 60);

  const res = await httpsRequest({
    url: new URL("/node-ca.crt", t.hub.enrollUrl).href,
    method: "POST",
    headers: {
      "Content-Type": "application/pkcs10",
      NodeName: "node-a",
      RequestedTtl: "7d",
    },
    body: new Uint8Array([0x30, 0x00]),
    ca: short.creds.bundlePem,
    cert: short.creds.certChainPem,
    key: short.creds.keyPem,
    what: "hub",
  });
  assertEquals(res.status, 400);
  assertMatch(
    bodyText(res),
    /RequestedTtl header: expected a whole number of seconds/,
  );
});
