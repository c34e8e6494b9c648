/**
 * The QUIC link's in-band node authentication against a real hub on
 * loopback, driven by a raw QUIC client that speaks the auth protocol step
 * by step: a replayed answer, an answer signed by another key, a revoked
 * certificate, a server name the hub does not serve and a silent client are
 * each refused (connection closed with code 4001 and the reason), while a correct answer
 * is accepted.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { fromBase64Url, toBase64Url } from "../../src/bytes.ts";
import { isEdgeError } from "../../src/errors.ts";
import {
  answerChallenge,
  authFrame,
  createQuicTransport,
  QUIC_ALPN,
  QUIC_CLOSE_UNAUTHORIZED,
  signAuth,
} from "../../src/hub/mod.ts";
import { FramedStream } from "../../src/hub/quic_stream.ts";
import { identityPem } from "../../src/identity/mod.ts";
import { generateKeyPair } from "../../src/pki/mod.ts";
import { enrollNode, type LinkHub, startLinkHub } from "./_harness.ts";

type Answer = Awaited<ReturnType<typeof answerChallenge>>;

/** One raw authentication attempt; `answer` builds step 3 from the challenge. */
async function attempt(
  h: LinkHub,
  caPem: string,
  answer: ((challenge: Uint8Array) => Promise<Answer>) | undefined,
): Promise<
  { result?: Record<string, unknown>; code?: number; reason?: string }
> {
  const qc = await Deno.connectQuic({
    hostname: "127.0.0.1",
    port: h.quicPort,
    serverName: "127.0.0.1",
    alpnProtocols: [QUIC_ALPN],
    caCerts: [caPem],
  });
  const closed = qc.closed.then(
    (i) => ({ code: i.closeCode, reason: i.reason }),
    (e) => ({ code: -1, reason: String(e) }),
  );
  const fs = new FramedStream(await qc.createBidirectionalStream(), 1 << 20);
  try {
    fs.writeRaw(authFrame({ hello: QUIC_ALPN, node: "pi-1" }));
    const ch = JSON.parse(new TextDecoder().decode(await fs.readFrame()));
    if (answer) {
      fs.writeRaw(authFrame(await answer(fromBase64Url(ch.challenge))));
    }
    const res = await fs.readFrame();
    const result = res ? JSON.parse(new TextDecoder().decode(res)) : undefined;
    if (result?.ok === true) {
      qc.close({ closeCode: 1000, reason: "done" });
      return { result };
    }
    return { result, ...(await closed) };
  } finally {
    fs.release();
    try {
      qc.close({ closeCode: 0, reason: "" });
    } catch { /* closed */ }
    await closed;
  }
}

function assertRefused(
  r: Awaited<ReturnType<typeof attempt>>,
  why: string,
) {
  assertEquals(r.code, QUIC_CLOSE_UNAUTHORIZED, JSON.stringify(r));
  assertEquals(r.result, undefined);
  assertStringIncludes(String(r.reason), why);
}

async function withNode(
  fn: (
    h: LinkHub,
    creds: Awaited<ReturnType<typeof identityPem>>,
  ) => Promise<void>,
  hubOptions = {},
) {
  const h = await startLinkHub({ hubOptions });
  try {
    const creds = await identityPem(await enrollNode(h.hub, "pi-1"));
    await fn(h, creds);
  } finally {
    await h.stop();
  }
}

Deno.test("quic auth: a correct answer is accepted and the node gets a session", async () => {
  await withNode(async (h, creds) => {
    const r = await attempt(
      h,
      creds.caPem,
      (c) => answerChallenge(creds, c, "127.0.0.1", "pi-1"),
    );
    assertEquals(r.result, { ok: true });
  });
});

Deno.test("quic auth: an answer recorded on one connection is refused on the next", async () => {
  await withNode(async (h, creds) => {
    let recorded: Answer | undefined;
    const first = await attempt(h, creds.caPem, async (c) => {
      recorded = await answerChallenge(creds, c, "127.0.0.1", "pi-1");
      return recorded;
    });
    assertEquals(first.result, { ok: true });
    const replay = await attempt(
      h,
      creds.caPem,
      () => Promise.resolve(recorded!),
    );
    assertRefused(replay, "signature does not verify");
    assertEquals(h.hub.links.stats().sessions, 0);
  });
});

Deno.test("quic auth: the node's certificate with a signature by another key is refused", async () => {
  await withNode(async (h, creds) => {
    const other = await generateKeyPair();
    const r = await attempt(h, creds.caPem, async (c) => {
      const a = await answerChallenge(creds, c, "127.0.0.1", "pi-1");
      const sig = await signAuth(other.privateKey, c, "127.0.0.1", "pi-1");
      return { ...a, sig: toBase64Url(sig) };
    });
    assertRefused(r, "signature does not verify");
  });
});

Deno.test("quic auth: a revoked certificate is refused even with a valid signature", async () => {
  await withNode(async (h, creds) => {
    await h.hub.authority.revokeNode("pi-1");
    const r = await attempt(
      h,
      creds.caPem,
      (c) => answerChallenge(creds, c, "127.0.0.1", "pi-1"),
    );
    assertRefused(r, "revoked");
    // The transport reports it as an authentication failure.
    const t = createQuicTransport({
      server: `127.0.0.1:${h.quicPort}`,
      nodeName: "pi-1",
    });
    const err = await t.connect(creds, { onMessage: () => {}, onAck: () => {} })
      .then(
        () => undefined,
        (e) => e,
      );
    assert(isEdgeError(err, "LINK_AUTH_FAILED"), String(err));
  });
});

Deno.test("quic auth: a signature over a server name the hub does not serve is refused", async () => {
  await withNode(async (h, creds) => {
    const r = await attempt(
      h,
      creds.caPem,
      (c) => answerChallenge(creds, c, "evil.example", "pi-1"),
    );
    assertRefused(r, "not a name of this hub");
  });
});

Deno.test("quic auth: a client that does not answer in time is cut off", async () => {
  await withNode(async (h, creds) => {
    const r = await attempt(h, creds.caPem, undefined);
    assertRefused(r, "no authentication within 300 ms");
  }, { quicAuthTimeoutMs: 300 });
});
