import assert from "node:assert/strict";
import { FakeClock } from "../../tests/_fixtures/clock.ts";
import { EdgeError } from "../errors.ts";
import {
  ChainError,
  type ChainFailureReason,
  MAX_CHAIN_LENGTH,
  verifyChain,
  verifySvidChain,
} from "./chain.ts";
import { ECDSA_P256, x509 } from "./_x509.ts";

const NOW = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

interface IssueOptions {
  cn: string;
  issuer?: Issued;
  ca?: boolean;
  pathLength?: number;
  ku?: number;
  uris?: string[];
  ips?: string[];
  emails?: string[];
  notBefore?: number;
  extra?: x509.Extension[];
  /** Add SKI/AKI. @default true */
  keyIds?: boolean;
}

const KU = x509.KeyUsageFlags;

async function issue(o: IssueOptions): Promise<Issued> {
  const keys = await crypto.subtle.generateKey(ECDSA_P256, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const ca = o.ca ?? false;
  const ext: x509.Extension[] = [
    new x509.BasicConstraintsExtension(ca, o.pathLength, true),
    new x509.KeyUsagesExtension(
      o.ku ?? (ca ? KU.keyCertSign | KU.cRLSign : KU.digitalSignature),
      true,
    ),
  ];
  const names = [
    ...(o.uris ?? []).map((value) => ({ type: "url" as const, value })),
    ...(o.ips ?? []).map((value) => ({ type: "ip" as const, value })),
    ...(o.emails ?? []).map((value) => ({ type: "email" as const, value })),
  ];
  if (names.length > 0) {
    ext.push(new x509.SubjectAlternativeNameExtension(names));
  }
  if (o.keyIds ?? true) {
    ext.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
    if (o.issuer) {
      ext.push(
        await x509.AuthorityKeyIdentifierExtension.create(
          o.issuer.keys.publicKey,
        ),
      );
    }
  }
  ext.push(...o.extra ?? []);
  const notBefore = new Date(o.notBefore ?? NOW - DAY);
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${o.cn}`,
    issuer: o.issuer ? o.issuer.cert.subject : `CN=${o.cn}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 30 * DAY),
    signingAlgorithm: ECDSA_P256,
    publicKey: keys.publicKey,
    signingKey: (o.issuer?.keys ?? keys).privateKey,
    extensions: ext,
  });
  return { cert, keys };
}

const root = await issue({ cn: "Root", ca: true });
const inter = await issue({ cn: "Inter", ca: true, issuer: root });
const leaf = await issue({
  cn: "Leaf",
  issuer: inter,
  uris: ["spiffe://example.org/workload"],
});

async function rejection(p: Promise<unknown>): Promise<ChainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ChainError) return err;
    throw err;
  }
  throw new assert.AssertionError({ message: "expected a ChainError" });
}

async function assertReason(
  p: Promise<unknown>,
  reason: ChainFailureReason,
): Promise<ChainError> {
  const err = await rejection(p);
  assert.equal(err.reason, reason, err.message);
  assert.equal(err.code, "CHAIN_INVALID");
  return err;
}

Deno.test("verifyChain() returns the path from leaf to trust anchor", async () => {
  const res = await verifyChain(leaf.cert, [inter.cert], [root.cert], {
    at: NOW,
  });
  assert.deepEqual(res.chain.map((c) => c.subject), [
    "CN=Leaf",
    "CN=Inter",
    "CN=Root",
  ]);
  assert.equal(res.spiffeId, undefined);
});

Deno.test("verifyChain() accepts PEM strings and DER bytes", async () => {
  const res = await verifyChain(
    leaf.cert.toString("pem"),
    [new Uint8Array(inter.cert.rawData)],
    [root.cert.rawData],
    { at: NOW },
  );
  assert.equal(res.chain.length, 3);
});

Deno.test("verifyChain() rejects unparsable input with CERT_INVALID naming the argument", async () => {
  const err = await verifyChain(leaf.cert, ["not a cert"], [root.cert]).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(err instanceof EdgeError);
  assert.equal(err.code, "CERT_INVALID");
  assert.match(err.message, /intermediates\[0\]/);
});

Deno.test("verifyChain() takes the time from the injected clock", async () => {
  const clock = new FakeClock(NOW);
  await verifyChain(leaf.cert, [inter.cert], [root.cert], { clock });
  await clock.advance(40 * DAY);
  const err = await assertReason(
    verifyChain(leaf.cert, [inter.cert], [root.cert], { clock }),
    "expired",
  );
  assert.match(err.message, /^Certificate at depth \d \(\w+/);
});

Deno.test("verifyChain() tolerates 60 s of clock skew by default, none when set to 0", async () => {
  const early = await issue({
    cn: "Early",
    issuer: inter,
    notBefore: NOW + 30_000,
  });
  await verifyChain(early.cert, [inter.cert], [root.cert], { at: NOW });
  const err = await assertReason(
    verifyChain(early.cert, [inter.cert], [root.cert], {
      at: NOW,
      maxClockSkewMs: 0,
    }),
    "not_yet_valid",
  );
  assert.equal(err.depth, 0);
  assert.equal(err.subject, "CN=Early");
  assert.match(err.message, /not valid before 2026-01-01T00:00:30\.000Z/);
});

Deno.test("verifyChain() names the certificate and the rule in its message", async () => {
  const notCa = await issue({ cn: "NotCA", issuer: root, ku: KU.keyCertSign });
  const below = await issue({ cn: "Below", issuer: notCa });
  const err = await assertReason(
    verifyChain(below.cert, [notCa.cert], [root.cert], { at: NOW }),
    "not_ca",
  );
  assert.equal(
    err.message,
    'Certificate at depth 1 (intermediate, subject "CN=NotCA") issues certificates but is not a CA: basicConstraints cA must be true (RFC 5280 §4.2.1.9)',
  );
});

Deno.test("verifyChain() picks the right root among same-named roots by key id", async () => {
  const old = await issue({ cn: "Root", ca: true });
  const res = await verifyChain(
    leaf.cert,
    [inter.cert],
    [old.cert, root.cert],
    {
      at: NOW,
    },
  );
  assert.equal(res.chain[2], root.cert);
});

Deno.test("verifyChain() tries the next same-named root when there are no key ids", async () => {
  const a = await issue({ cn: "Twin", ca: true, keyIds: false });
  const b = await issue({ cn: "Twin", ca: true, keyIds: false });
  const l = await issue({ cn: "L", issuer: b, keyIds: false });
  const res = await verifyChain(l.cert, [], [a.cert, b.cert], { at: NOW });
  assert.equal(res.chain[1], b.cert);
  await assertReason(
    verifyChain(l.cert, [], [a.cert], { at: NOW }),
    "bad_signature",
  );
});

Deno.test("verifyChain() stops on issuer loops and reports the chain untrusted", async () => {
  // Two CAs named "A" and "B", each claiming the other as issuer.
  const a0 = await issue({ cn: "A", ca: true, keyIds: false });
  const b = await issue({ cn: "B", ca: true, issuer: a0, keyIds: false });
  const a = await issue({ cn: "A", ca: true, issuer: b, keyIds: false });
  const l = await issue({ cn: "L", issuer: a, keyIds: false });
  const err = await assertReason(
    verifyChain(l.cert, [a.cert, b.cert], [root.cert], { at: NOW }),
    "untrusted",
  );
  assert.match(
    err.message,
    /neither among the intermediates nor the 1 trusted root\(s\) \(issuer loop\)/,
  );
});

Deno.test("verifyChain() refuses paths longer than MAX_CHAIN_LENGTH", async () => {
  const cas = [root];
  for (let i = 0; i < MAX_CHAIN_LENGTH - 1; i++) {
    cas.push(
      await issue({ cn: `CA${i}`, ca: true, issuer: cas[cas.length - 1] }),
    );
  }
  const l = await issue({ cn: "Deep", issuer: cas[cas.length - 1] });
  const inters = cas.slice(1).map((c) => c.cert);
  const err = await assertReason(
    verifyChain(l.cert, inters, [root.cert], { at: NOW }),
    "untrusted",
  );
  assert.match(err.message, /longer than 10 certificates/);
  const ok = await verifyChain(l.cert, inters.slice(1), [cas[1].cert], {
    at: NOW,
  });
  assert.equal(ok.chain.length, MAX_CHAIN_LENGTH);
});

Deno.test("verifyChain() accepts a self-signed leaf that is itself a trusted root", async () => {
  const self = await issue({ cn: "Pinned", uris: ["spiffe://example.org/p"] });
  const res = await verifyChain(self.cert, [], [root.cert, self.cert], {
    at: NOW,
  });
  assert.equal(res.chain.length, 1);
  await assertReason(
    verifyChain(self.cert, [], [root.cert], { at: NOW }),
    "untrusted",
  );
});

/** NameConstraints DER with the given permitted GeneralNames (tag, bytes). */
function nameConstraints(permitted: [number, number[]][]): x509.Extension {
  const tlv = (tag: number, body: number[]) => [tag, body.length, ...body];
  const subtrees = permitted.flatMap(([tag, body]) =>
    tlv(0x30, tlv(tag, body))
  );
  const der = tlv(0x30, tlv(0xa0, subtrees));
  return new x509.Extension("2.5.29.30", true, new Uint8Array(der));
}

Deno.test("verifyChain() applies IP and email name constraints", async () => {
  const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
  const nc = await issue({
    cn: "NC",
    ca: true,
    issuer: root,
    extra: [nameConstraints([
      [0x87, [10, 0, 0, 0, 255, 0, 0, 0]],
      [0x81, ascii(".example.org")],
    ])],
  });
  const good = await issue({
    cn: "Good",
    issuer: nc,
    ips: ["10.1.2.3"],
    emails: ["ops@mail.example.org"],
  });
  await verifyChain(good.cert, [nc.cert], [root.cert], { at: NOW });
  const badIp = await issue({ cn: "BadIp", issuer: nc, ips: ["192.168.1.1"] });
  const err = await assertReason(
    verifyChain(badIp.cert, [nc.cert], [root.cert], { at: NOW }),
    "name_constraints",
  );
  assert.match(
    err.message,
    /ip:192\.168\.1\.1 is outside every permitted ip subtree/,
  );
  const badMail = await issue({
    cn: "BadMail",
    issuer: nc,
    emails: ["a@example.com"],
  });
  await assertReason(
    verifyChain(badMail.cert, [nc.cert], [root.cert], { at: NOW }),
    "name_constraints",
  );
});

Deno.test("verifySvidChain() returns the SPIFFE ID of a valid X509-SVID", async () => {
  const res = await verifySvidChain(leaf.cert, [inter.cert], [root.cert], {
    at: NOW,
    trustDomain: "example.org",
  });
  assert.equal(res.spiffeId, "spiffe://example.org/workload");
});

Deno.test("verifySvidChain() enforces the X509-SVID leaf rules", async () => {
  const cases: [IssueOptions, ChainFailureReason, RegExp][] = [
    [
      { cn: "Two", uris: ["spiffe://example.org/a", "spiffe://example.org/b"] },
      "spiffe_id",
      /exactly one URI SAN .* has 2/,
    ],
    [{ cn: "None" }, "spiffe_id", /has 0/],
    [
      { cn: "Https", uris: ["https://example.org/a"] },
      "spiffe_id",
      /scheme must be "spiffe"/,
    ],
    [
      { cn: "NoPath", uris: ["spiffe://example.org"] },
      "spiffe_id",
      /without a path/,
    ],
    [
      { cn: "OtherTd", uris: ["spiffe://other.org/a"] },
      "spiffe_id",
      /trust domain "other\.org", expected "example\.org"/,
    ],
    [
      {
        cn: "Ca",
        uris: ["spiffe://example.org/a"],
        ca: true,
        ku: KU.digitalSignature,
      },
      "leaf_is_ca",
      /cA=true/,
    ],
    [
      {
        cn: "Kcs",
        uris: ["spiffe://example.org/a"],
        ku: KU.digitalSignature | KU.keyCertSign,
      },
      "key_usage",
      /without keyCertSign/,
    ],
  ];
  for (const [opts, reason, message] of cases) {
    const l = await issue({ ...opts, issuer: inter });
    const err = await assertReason(
      verifySvidChain(l.cert, [inter.cert], [root.cert], {
        at: NOW,
        trustDomain: "spiffe://example.org",
      }),
      reason,
    );
    assert.match(err.message, message, opts.cn);
    assert.equal(err.depth, 0);
  }
});

Deno.test("verifyChain() with requireSpiffeId is verifySvidChain()", async () => {
  const res = await verifyChain(leaf.cert, [inter.cert], [root.cert], {
    at: NOW,
    requireSpiffeId: true,
  });
  assert.equal(res.spiffeId, "spiffe://example.org/workload");
});

Deno.test("a malformed SAN extension is CERT_INVALID, not an internal error", async () => {
  // GeneralNames with a non-minimal length (0x81 0x05) — invalid DER.
  const badSan = new Uint8Array([
    0x30,
    0x81,
    0x05,
    0x86,
    0x03,
    0x61,
    0x62,
    0x63,
  ]);
  const bad = await issue({
    cn: "Bad",
    issuer: inter,
    extra: [new x509.Extension("2.5.29.17", false, badSan)],
  });
  await assert.rejects(
    verifySvidChain(bad.cert, [inter.cert], [root.cert], { at: NOW }),
    (err: unknown) =>
      err instanceof EdgeError && err.code === "CERT_INVALID" &&
      err.message.includes("malformed extension"),
  );
});

Deno.test("an SVID whose SPIFFE ID breaks the ID syntax is refused naming the rule", async () => {
  const bad = await issue({
    cn: "",
    issuer: inter,
    uris: ["spiffe://example.org/a//b"],
  });
  const err = await assertReason(
    verifySvidChain(bad.cert, [inter.cert], [root.cert], { at: NOW }),
    "spiffe_id",
  );
  assert.match(err.message, /empty/i);
});
