/**
 * Test fixture: a node enrolled against a {@link TestHub} with the runtime's
 * own hub upstream, and its node intermediate.
 * @module
 */
import { createHubUpstream } from "../../src/identity/upstream/hub.ts";
import { parseJoinToken } from "../../src/identity/token.ts";
import {
  type NodeTlsCredentials,
  requestNodeIntermediate,
} from "../../src/svid/intermediate_client.ts";
import {
  encodeCertificateChainPem,
  encodePrivateKeyPkcs8Pem,
  generateKeyPair,
} from "../../src/pki/mod.ts";
import type { TestHub } from "./_hub.ts";

/** Enroll `node` with a fresh join token; returns its identity and PEM credentials. */
export async function enrollNode(t: TestHub, node: string) {
  const { token } = await t.hub.authority.createToken({ node });
  const up = createHubUpstream({ server: t.hub.enrollUrl, nodeName: node });
  const identity = await up.enroll({
    keys: await generateKeyPair(true),
    token: await parseJoinToken(token),
  });
  const creds: NodeTlsCredentials = {
    certChainPem: encodeCertificateChainPem(identity.chain),
    keyPem: await encodePrivateKeyPkcs8Pem(identity.keys.privateKey),
    bundlePem: encodeCertificateChainPem(identity.caBundle),
  };
  return { identity, creds };
}

/** Request a node intermediate for `node` with `creds` (trust domain example.org). */
export function nodeIntermediateFor(
  t: TestHub,
  node: string,
  creds: NodeTlsCredentials,
  ttlMs?: number,
) {
  return requestNodeIntermediate({
    hubUrl: t.hub.enrollUrl,
    nodeName: node,
    trustDomain: "example.org",
    node: creds,
    ttlMs,
  });
}
