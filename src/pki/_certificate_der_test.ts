import assert from "node:assert/strict";
import { x509 } from "./_x509.ts";
import {
  parseCertificateDer,
  verifyCertificateSignature,
} from "./certificate.ts";

type SigningAlgorithm = Algorithm & Record<string, unknown>;

const ALGORITHMS: Record<
  string,
  [RsaHashedKeyGenParams | EcKeyGenParams, SigningAlgorithm]
> = {
  "RSA PKCS#1 v1.5 SHA-256": [
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  ],
  "ECDSA P-384 SHA-384": [
    { name: "ECDSA", namedCurve: "P-384" },
    { name: "ECDSA", hash: "SHA-384" },
  ],
  "ECDSA P-521 SHA-512": [
    { name: "ECDSA", namedCurve: "P-521" },
    { name: "ECDSA", hash: "SHA-512" },
  ],
  "RSA-PSS (checked by the lazily loaded library)": [
    {
      name: "RSA-PSS",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    { name: "RSA-PSS", hash: "SHA-256", saltLength: 32 },
  ],
};

async function libraryCert(
  keyAlg: RsaHashedKeyGenParams | EcKeyGenParams,
  signingAlgorithm: SigningAlgorithm,
  o: { serialNumber: string; notBefore: Date; notAfter: Date; name: string },
) {
  const keys = await crypto.subtle.generateKey(keyAlg, false, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    ...o,
    keys,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      new x509.SubjectAlternativeNameExtension([
        { type: "url", value: "spiffe://example.org" },
      ]),
    ],
  });
  return { cert, keys };
}

Deno.test("certificates from the X.509 library parse to the fields the library reads", async () => {
  const cases = [
    {
      serialNumber: "00ff01",
      notBefore: new Date(Date.UTC(1999, 0, 2, 3, 4, 5)),
      notAfter: new Date(Date.UTC(2049, 11, 31, 23, 59, 59)),
      name: "CN=Old, O=ünï+OU=x, E=a@b.c",
    },
    {
      serialNumber: "7f",
      notBefore: new Date(Date.UTC(2050, 0, 1)),
      notAfter: new Date(Date.UTC(2160, 5, 6, 7, 8, 9)),
      name: "CN=Far future",
    },
  ];
  for (const [label, [keyAlg, sigAlg]] of Object.entries(ALGORITHMS)) {
    for (const c of cases) {
      const { cert: lib, keys } = await libraryCert(keyAlg, sigAlg, c);
      const ours = parseCertificateDer(new Uint8Array(lib.rawData));
      assert.equal(ours.serialHex, lib.serialNumber.toLowerCase(), label);
      assert.equal(ours.subject, lib.subject, label);
      assert.equal(ours.issuer, lib.issuer, label);
      assert.equal(ours.notBefore.getTime(), lib.notBefore.getTime(), label);
      assert.equal(ours.notAfter.getTime(), lib.notAfter.getTime(), label);
      assert.deepEqual(ours.spki, new Uint8Array(lib.publicKey.rawData));
      assert.deepEqual(ours.uris, ["spiffe://example.org"]);
      assert.equal(ours.pathLength, 1);
      assert.deepEqual(ours.criticalExtensions, ["2.5.29.19", "2.5.29.15"]);
      assert.ok(await verifyCertificateSignature(ours, ours), label);
      assert.ok(await verifyCertificateSignature(ours, keys.publicKey), label);
      const tampered = ours.der.slice();
      tampered[tampered.length - 3] ^= 1;
      assert.ok(
        !await verifyCertificateSignature({ ...ours, der: tampered }, ours),
        label,
      );
    }
  }
});

Deno.test("a signature checked against a key of another type is false, not an error", async () => {
  const [keyAlg, sigAlg] = ALGORITHMS["ECDSA P-384 SHA-384"];
  const [rsaAlg, rsaSig] = ALGORITHMS["RSA PKCS#1 v1.5 SHA-256"];
  const o = {
    serialNumber: "01",
    notBefore: new Date(Date.UTC(2026, 0, 1)),
    notAfter: new Date(Date.UTC(2027, 0, 1)),
    name: "CN=x",
  };
  const ec = parseCertificateDer(
    new Uint8Array((await libraryCert(keyAlg, sigAlg, o)).cert.rawData),
  );
  const rsa = parseCertificateDer(
    new Uint8Array((await libraryCert(rsaAlg, rsaSig, o)).cert.rawData),
  );
  assert.equal(await verifyCertificateSignature(ec, rsa), false);
  assert.equal(await verifyCertificateSignature(rsa, ec), false);
});
