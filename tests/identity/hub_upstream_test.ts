/**
 * The KubeEdge enrollment client against a stand-in written to cloudcore's
 * documented behaviour: CA pinning by the token hash, GET with a DER CSR
 * body, Bearer token for enrollment, client certificate for renewal, and
 * cloudcore's refusals passed on as clear errors.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { rejectsWith } from "./_helpers.ts";
import { startCloudcoreStandin } from "../_fixtures/cloudcore_standin.ts";
import { createHubUpstream } from "../../src/identity/upstream/hub.ts";
import { parseJoinToken } from "../../src/identity/token.ts";
import { generateKeyPair } from "../../src/pki/mod.ts";
import { caHash } from "../../src/pki/mod.ts";

Deno.test("enrollment pins the CA by the token hash and gets a DER certificate for a CSR sent as a GET body", async () => {
  const hub = await startCloudcoreStandin();
  try {
    const up = createHubUpstream({ server: hub.url, nodeName: "pi-1" });
    const token = await parseJoinToken(await hub.token());
    const keys = await generateKeyPair();
    const id = await up.enroll({ keys, token });
    assertEquals(id.leaf.subject, "O=system:nodes, CN=system:node:pi-1");
    assertEquals(id.leaf.extKeyUsages.sort(), ["clientAuth", "serverAuth"]);
    assertEquals(id.caBundle.length, 1);
    assertEquals(await caHash(id.caBundle[0].der), token.caHash);
    assertEquals(hub.counts, {
      caFetches: 1,
      enrollments: 1,
      renewals: 0,
      refused: 0,
    });
  } finally {
    await hub.close();
  }
});

Deno.test("a CA whose hash differs from the token stops enrollment with both hashes and without the token", async () => {
  const hub = await startCloudcoreStandin();
  const other = await startCloudcoreStandin();
  try {
    const text = await other.token();
    const token = await parseJoinToken(text);
    const up = createHubUpstream({ server: hub.url, nodeName: "pi-1" });
    const err = await rejectsWith(
      async () => up.enroll({ keys: await generateKeyPair(), token }),
      "TOKEN_CA_HASH_MISMATCH",
    );
    assertStringIncludes(err.message, token.caHash);
    assertStringIncludes(err.message, await caHash(hub.ca.cert.der));
    assert(!err.message.includes(token.jwt.split(".")[2]), "token leaked");
    assertEquals(hub.counts.enrollments, 0);
  } finally {
    await hub.close();
    await other.close();
  }
});

Deno.test("an expired join token is refused by the hub with its plain-text reason", async () => {
  const hub = await startCloudcoreStandin();
  try {
    const token = await parseJoinToken(await hub.token(-60_000));
    const up = createHubUpstream({ server: hub.url, nodeName: "pi-1" });
    const err = await rejectsWith(
      async () => up.enroll({ keys: await generateKeyPair(), token }),
      "UPSTREAM_REFUSED",
    );
    assertStringIncludes(err.message, "HTTP 401");
    assertStringIncludes(err.message, "token validation failure");
  } finally {
    await hub.close();
  }
});

Deno.test("renewal authenticates with the current certificate over mTLS and returns a certificate for the new key", async () => {
  const hub = await startCloudcoreStandin();
  try {
    const up = createHubUpstream({ server: hub.url, nodeName: "pi-1" });
    const first = await up.enroll({
      keys: await generateKeyPair(),
      token: await parseJoinToken(await hub.token()),
    });
    const keys = await generateKeyPair();
    const next = await up.renew({ keys, current: first });
    assert(next.leaf.serialHex !== first.leaf.serialHex);
    assert(next.keys === keys);
    assertEquals(hub.counts.renewals, 1);
    assertEquals(hub.counts.enrollments, 1);
  } finally {
    await hub.close();
  }
});

Deno.test("cloudcore refuses renewal with an expired certificate; a hub with a grace period accepts it", async () => {
  for (const grace of [undefined, 60_000]) {
    const hub = await startCloudcoreStandin({
      certTtlMs: 1000,
      graceAfterExpiryMs: grace,
    });
    try {
      const up = createHubUpstream({ server: hub.url, nodeName: "pi-1" });
      const first = await up.enroll({
        keys: await generateKeyPair(),
        token: await parseJoinToken(await hub.token()),
      });
      await new Promise((r) =>
        setTimeout(r, first.leaf.notAfter.getTime() - Date.now() + 1100)
      );
      const renew = up.renew({ keys: await generateKeyPair(), current: first });
      if (grace === undefined) {
        const err = await rejectsWith(() => renew, "UPSTREAM_REFUSED");
        assertStringIncludes(err.message, "expired");
      } else {
        assert((await renew).leaf.notAfter > first.leaf.notAfter);
      }
    } finally {
      await hub.close();
    }
  }
});

Deno.test("renewal verifies the hub's TLS certificate against the stored CA", async () => {
  const hub = await startCloudcoreStandin();
  const impostor = await startCloudcoreStandin();
  try {
    const first = await createHubUpstream({ server: hub.url, nodeName: "pi-1" })
      .enroll({
        keys: await generateKeyPair(),
        token: await parseJoinToken(await hub.token()),
      });
    const up = createHubUpstream({ server: impostor.url, nodeName: "pi-1" });
    const err = await rejectsWith(
      async () => up.renew({ keys: await generateKeyPair(), current: first }),
      "UPSTREAM_UNREACHABLE",
    );
    assertStringIncludes(err.message, "TLS verification failed");
    assertEquals(impostor.counts.renewals, 0);
  } finally {
    await hub.close();
    await impostor.close();
  }
});

Deno.test("an unreachable hub is UPSTREAM_UNREACHABLE naming the address", async () => {
  const hub = await startCloudcoreStandin();
  const token = await parseJoinToken(await hub.token());
  await hub.close();
  const up = createHubUpstream({ server: hub.url, nodeName: "pi-1" });
  const err = await rejectsWith(
    async () => up.enroll({ keys: await generateKeyPair(), token }),
    "UPSTREAM_UNREACHABLE",
  );
  assertStringIncludes(err.message, hub.url);
});
