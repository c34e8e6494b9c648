/**
 * `raceQuicHandshakes` against a real QUIC listener on loopback: a hub that
 * starts listening after the first handshake was sent is reached by a fresh
 * one, the stale handshakes are aborted (no retransmission reaches the hub
 * later, when QUIC would have resent them), and a handshake the hub refuses
 * fails the race at once.
 */
import { assert, assertEquals, assertRejects } from "../_fixtures/assert.ts";
import { raceQuicHandshakes } from "../../src/hub/quic_handshake.ts";
import {
  createSelfSignedCa,
  encodeCertificatePem,
  encodePrivateKeyPkcs8Pem,
  generateKeyPair,
  issueCertificate,
} from "../../src/pki/mod.ts";
import { freeUdpPort } from "./_harness.ts";

const ALPN = ["edge-hub-test"];

async function serverCredentials() {
  const ca = await createSelfSignedCa({
    subject: { CN: "test CA" },
    ttlMs: 86_400_000,
  });
  const keys = await generateKeyPair();
  const cert = await issueCertificate({
    issuer: ca,
    subjectPublicKey: keys.publicKey,
    profile: "leaf",
    subject: { CN: "127.0.0.1" },
    ipAddresses: ["127.0.0.1"],
    extKeyUsages: ["serverAuth"],
    ttlMs: 86_400_000,
  });
  return {
    caPem: encodeCertificatePem(ca.cert),
    certPem: encodeCertificatePem(cert),
    keyPem: await encodePrivateKeyPkcs8Pem(keys.privateKey),
  };
}

const connect =
  (port: number, caPem: string) => (endpoint: Deno.QuicEndpoint) =>
    Deno.connectQuic({
      hostname: "127.0.0.1",
      port,
      alpnProtocols: ALPN,
      caCerts: [caPem],
      endpoint,
    });

Deno.test("a hub that starts listening after the first handshake is reached by a fresh one, and the stale handshakes never arrive", async () => {
  const creds = await serverCredentials();
  const port = freeUdpPort();
  const race = raceQuicHandshakes(connect(port, creds.caPem), {
    timeoutMs: 5_000,
    retryMs: 100,
  });
  await new Promise((r) => setTimeout(r, 300)); // three handshakes unanswered
  const endpoint = new Deno.QuicEndpoint({ hostname: "127.0.0.1", port });
  const listener = endpoint.listen({
    key: creds.keyPem,
    cert: creds.certPem,
    alpnProtocols: ALPN,
  });
  let accepted = 0;
  const conns: Deno.QuicConn[] = [];
  (async () => {
    for await (const incoming of listener) {
      accepted++;
      Promise.resolve(incoming.accept()).then((c) => conns.push(c), () => {});
    }
  })().catch(() => {});
  const { conn, handshakeMs } = await race;
  assert(handshakeMs >= 0 && handshakeMs < 5_000);
  // The other attempts are closed: their close packets may reach the hub
  // (one each, at most one per 100 ms of the race), nothing else.
  await new Promise((r) => setTimeout(r, 200));
  const settled = accepted;
  assert(settled >= 1, `${settled} incoming`);
  // QUIC resends a first packet after ~1 s: an aborted handshake does not.
  await new Promise((r) => setTimeout(r, 1_300));
  assertEquals(accepted, settled, "no handshake arrived after the race");
  conn.close();
  for (const c of conns) c.close();
  listener.stop();
  endpoint.close();
});

Deno.test("a handshake the hub refuses (unknown CA) fails the race at once, not at the timeout", async () => {
  const creds = await serverCredentials();
  const other = await serverCredentials();
  const endpoint = new Deno.QuicEndpoint({ hostname: "127.0.0.1", port: 0 });
  const listener = endpoint.listen({
    key: creds.keyPem,
    cert: creds.certPem,
    alpnProtocols: ALPN,
  });
  (async () => {
    for await (const incoming of listener) {
      Promise.resolve(incoming.accept()).catch(() => {});
    }
  })().catch(() => {});
  const t0 = performance.now();
  await assertRejects(
    () =>
      raceQuicHandshakes(connect(endpoint.addr.port, other.caPem), {
        timeoutMs: 30_000,
        retryMs: 100,
      }),
    (err) => assert(/certificate|handshake/i.test(String(err)), String(err)),
  );
  assert(performance.now() - t0 < 30_000);
  listener.stop();
  endpoint.close();
});

Deno.test("an aborted race rejects and leaves no handshake running", async () => {
  const abort = new AbortController();
  const race = raceQuicHandshakes(connect(freeUdpPort(), "unused"), {
    timeoutMs: 30_000,
    retryMs: 50,
    signal: abort.signal,
  });
  setTimeout(() => abort.abort(), 120);
  await assertRejects(
    () => race,
    (err) => assert(String(err).includes("aborted"), String(err)),
  );
});
