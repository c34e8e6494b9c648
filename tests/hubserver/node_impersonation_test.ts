/**
 * A node's own intermediate CA (for offline workload SVIDs) can sign any
 * name in the trust domain, including another node's ID. The hub must accept
 * a node certificate only when the hub's CA issued it — never through a
 * chain the client supplies — for renewal, node intermediates and the links.
 */
import { assertMatch, assertRejects } from "../_fixtures/assert.ts";
import { createHubUpstream } from "../../src/identity/upstream/hub.ts";
import {
  encodeCertificateChainPem,
  encodePrivateKeyPkcs8Pem,
  generateKeyPair,
  issueCertificate,
} from "../../src/pki/mod.ts";
import { startTestHub } from "./_hub.ts";
import { enrollNode, nodeIntermediateFor } from "./_node.ts";

Deno.test("a certificate for node B signed by node A's intermediate is refused everywhere", async () => {
  await using t = await startTestHub();
  const hub = t.hub;
  const { identity: a, creds: credsA } = await enrollNode(t, "node-a");
  await enrollNode(t, "node-b");
  const nodeCa = await nodeIntermediateFor(t, "node-a", credsA);
  const forgedKeys = await generateKeyPair(true);
  const forged = await issueCertificate({
    issuer: { cert: nodeCa.cert, keys: nodeCa.keys },
    subjectPublicKey: forgedKeys.publicKey,
    profile: "leaf",
    subject: { O: "system:nodes", CN: "system:node:node-b" },
    uris: ["spiffe://example.org/node/node-b"],
    extKeyUsages: ["clientAuth", "serverAuth"],
    ttlMs: 3_600_000,
  });
  const forgedChain = [forged, nodeCa.cert];

  // The check every hub entry point uses (renewal, intermediate, links).
  await assertRejects(
    () =>
      hub.authority.authenticateNode(forgedChain.map((c) => c.der), {
        node: "node-b",
      }),
    (err) => assertMatch(String(err), /client certificate/),
  );
  // Renewal as node-b over real mTLS.
  const upB = createHubUpstream({ server: hub.enrollUrl, nodeName: "node-b" });
  await assertRejects(() =>
    upB.renew(
      {
        keys: forgedKeys,
        current: { ...a, chain: forgedChain, keys: forgedKeys },
      } as Parameters<typeof upB.renew>[0],
    )
  );
  // A node intermediate for node-b.
  const forgedKeyPem = await encodePrivateKeyPkcs8Pem(forgedKeys.privateKey);
  await assertRejects(() =>
    nodeIntermediateFor(t, "node-b", {
      certChainPem: encodeCertificateChainPem(forgedChain),
      keyPem: forgedKeyPem,
      bundlePem: credsA.bundlePem,
    })
  );
});
