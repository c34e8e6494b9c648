/**
 * An imported CA, single- and two-tier, end to end with real tools: `openssl`
 * makes an offline root and a hub intermediate, the hub is started with
 * `ca.mode: import`, and `curl` / `openssl verify` judge what it serves.
 */
import { assert, assertEquals } from "../_fixtures/assert.ts";
import {
  bytesEqual,
  fromBase64Url,
  sha256Hex,
  toBase64,
  toBase64Url,
  toHex,
} from "../../src/bytes.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { loadOrCreateCa } from "../../src/hubserver/ca.ts";
import { openStore } from "../../src/store/mod.ts";
import {
  encodeCertificatePem,
  parseCertificate,
  parseCertificateChainDer,
} from "../../src/pki/mod.ts";
import {
  curl,
  makeCsr,
  nodeSubject,
  run,
  startTestHub,
  type TestHub,
} from "./_hub.ts";
import { enrollNode, nodeIntermediateFor } from "./_node.ts";
import {
  createIntermediateHolder,
  type IntermediateHolder,
  issueX509Svid,
} from "../../src/svid/mod.ts";
import { IntermediateRenewer } from "../../src/svid/intermediate_client.ts";

async function openssl(args: string[], cwd?: string): Promise<string> {
  const r = await run("openssl", args, cwd);
  if (r.code !== 0) {
    throw new Error(`openssl ${args[0]} failed: ${r.stderr}${r.text}`);
  }
  return r.text;
}

/** CA extensions for `openssl x509 -req -extfile`. */
const CA_EXTENSIONS = [
  "[v3_ca]",
  "basicConstraints = critical, CA:TRUE",
  "keyUsage = critical, keyCertSign, cRLSign",
  "subjectKeyIdentifier = hash",
  "authorityKeyIdentifier = keyid:always",
  "",
].join("\n");

/** Paths of an openssl-made offline root and hub intermediate (PEM). */
interface TwoTierPki extends AsyncDisposable {
  dir: string;
  rootCert: string;
  rootKey: string;
  intermediateCert: string;
  intermediateKey: string;
}

/**
 * An offline root (self-signed, P-256) and a hub intermediate signed by it,
 * made with the openssl CLI in their own temp dir (never the hub's).
 */
async function makeTwoTierPki(): Promise<TwoTierPki> {
  const dir = await Deno.makeTempDir({ prefix: "edge-two-tier-pki-" });
  const p = {
    dir,
    rootCert: `${dir}/root.pem`,
    rootKey: `${dir}/root.key`,
    intermediateCert: `${dir}/intermediate.pem`,
    intermediateKey: `${dir}/intermediate.key`,
  };
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
  await openssl([
    "req",
    "-x509",
    ...newKey,
    "-nodes",
    "-keyout",
    p.rootKey,
    "-out",
    p.rootCert,
    "-subj",
    "/O=Example/CN=Example Offline Root",
    "-days",
    "3650",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await openssl([
    "req",
    "-new",
    ...newKey,
    "-nodes",
    "-keyout",
    p.intermediateKey,
    "-out",
    `${dir}/intermediate.csr`,
    "-subj",
    "/O=Example/CN=Example Hub Intermediate",
  ]);
  await Deno.writeTextFile(`${dir}/ca.ext`, CA_EXTENSIONS);
  await openssl([
    "x509",
    "-req",
    "-in",
    `${dir}/intermediate.csr`,
    "-CA",
    p.rootCert,
    "-CAkey",
    p.rootKey,
    "-set_serial",
    "0x1a2b3c4d5e6f",
    "-days",
    "1825",
    "-sha256",
    "-extfile",
    `${dir}/ca.ext`,
    "-extensions",
    "v3_ca",
    "-out",
    p.intermediateCert,
  ]);
  return {
    ...p,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** DER of the first certificate in a PEM file. */
async function pemFileToDer(path: string): Promise<Uint8Array> {
  return parseCertificate(await Deno.readTextFile(path)).der;
}

/** A PEM key file (PKCS#8 or SEC1) as PKCS#8 DER, by openssl. */
async function pkcs8Der(keyFile: string): Promise<Uint8Array> {
  const r = await run("openssl", [
    "pkcs8",
    "-topk8",
    "-nocrypt",
    "-in",
    keyFile,
    "-outform",
    "DER",
  ]);
  if (r.code !== 0) throw new Error(`openssl pkcs8 failed: ${r.stderr}`);
  return r.stdout;
}

/** The EC private scalar of a PEM key file, via Web Crypto's JWK export. */
async function privateScalar(keyFile: string): Promise<Uint8Array> {
  const der = await pkcs8Der(keyFile);
  const key = await crypto.subtle.importKey(
    "pkcs8",
    new Uint8Array(der),
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", key);
  return fromBase64Url(jwk.d!);
}

/** Every file under `dir`, recursively, with its bytes. */
async function readTree(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) {
      for (const [p, b] of await readTree(path)) out.set(p, b);
    } else if (e.isFile) out.set(path, await Deno.readFile(path));
  }
  return out;
}

function includesBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}

/** Files under `dir` holding `scalar` raw, hex, base64 or base64url. */
async function filesHoldingKey(
  dir: string,
  scalar: Uint8Array,
): Promise<string[]> {
  const enc = new TextEncoder();
  const forms = [
    scalar,
    enc.encode(toHex(scalar)),
    enc.encode(toBase64(scalar)),
    enc.encode(toBase64Url(scalar)),
  ];
  const hits: string[] = [];
  for (const [path, bytes] of await readTree(dir)) {
    if (forms.some((f) => includesBytes(bytes, f))) hits.push(path);
  }
  return hits;
}

function importYaml(cert: string, key: string, root?: string): string {
  const lines = [
    "ca:",
    "  mode: import",
    `  certFile: ${cert}`,
    `  keyFile: ${key}`,
  ];
  if (root) lines.push("  offlineRoot:", `    certFile: ${root}`);
  return lines.join("\n") + "\n";
}

/**
 * Enroll `node` with a fresh join token (openssl CSR, curl GET /edge.crt);
 * returns the token's CA hash and the DER certificates of the answer.
 */
async function enroll(t: TestHub, node: string) {
  const { token } = await t.hub.authority.createToken({ node });
  const [hash, ...jwt] = token.split(".");
  const { key, csr } = await makeCsr(t.dir, node, nodeSubject(node));
  const res = await curl(t, {
    path: "/edge.crt",
    bodyFile: csr,
    headers: { Authorization: `Bearer ${jwt.join(".")}`, NodeName: node },
  });
  assertEquals(res.status, 200, res.text);
  const chain = parseCertificateChainDer(res.body);
  const leaf = `${t.dir}/${node}.pem`;
  await Deno.writeTextFile(leaf, encodeCertificatePem(chain[0]));
  return { hash, chain, leaf, key };
}

Deno.test("with an offline root, the hub publishes the root and issues certificates that chain through its intermediate", async () => {
  await using pki = await makeTwoTierPki();
  await using t = await startTestHub(
    importYaml(pki.intermediateCert, pki.intermediateKey, pki.rootCert),
  );
  const rootDer = await pemFileToDer(pki.rootCert);
  const intermediateDer = await pemFileToDer(pki.intermediateCert);

  // /ca.crt is the root (DER), and the join token carries the root's hash.
  const ca = await curl(t, { path: "/ca.crt" });
  assertEquals(ca.status, 200);
  assert(bytesEqual(ca.body, rootDer), "GET /ca.crt must be the offline root");
  assertEquals(
    t.hub.caPem,
    encodeCertificatePem(parseCertificateChainDer(rootDer)[0]),
  );

  const n1 = await enroll(t, "n1");
  assertEquals(n1.hash, await sha256Hex(rootDer));
  assertEquals(await sha256Hex(ca.body), n1.hash);

  // The answer is the node certificate followed by the intermediate.
  assertEquals(n1.chain.length, 2);
  assert(bytesEqual(n1.chain[1].der, intermediateDer));
  const verify = await run("openssl", [
    "verify",
    "-CAfile",
    pki.rootCert,
    "-untrusted",
    pki.intermediateCert,
    "-purpose",
    "sslclient",
    n1.leaf,
  ]);
  assertEquals(verify.code, 0, verify.stderr + verify.text);
  // Without the intermediate, the root alone cannot vouch for the node.
  const rootOnly = await run("openssl", [
    "verify",
    "-CAfile",
    pki.rootCert,
    n1.leaf,
  ]);
  assert(
    rootOnly.code !== 0,
    "the node cert must be issued by the intermediate",
  );

  // The node renews over mTLS presenting only its leaf: the hub completes
  // the chain with its intermediate.
  const next = await makeCsr(t.dir, "n1b", nodeSubject("n1"));
  const renewed = await curl(t, {
    path: "/edge.crt",
    bodyFile: next.csr,
    headers: { NodeName: "n1" },
    cert: n1.leaf,
    key: n1.key,
  });
  assertEquals(renewed.status, 200, renewed.text);
  const renewedLeaf = `${t.dir}/n1-renewed.pem`;
  await Deno.writeTextFile(
    renewedLeaf,
    encodeCertificatePem(parseCertificateChainDer(renewed.body)[0]),
  );
  const verifyRenewed = await run("openssl", [
    "verify",
    "-CAfile",
    pki.rootCert,
    "-untrusted",
    pki.intermediateCert,
    renewedLeaf,
  ]);
  assertEquals(verifyRenewed.code, 0, verifyRenewed.stderr);

  // The hub never had the root key, and keeps no key copy in its state dir.
  assertEquals(
    await filesHoldingKey(t.stateDir, await privateScalar(pki.rootKey)),
    [],
  );
  assertEquals(
    await filesHoldingKey(
      t.stateDir,
      await privateScalar(pki.intermediateKey),
    ),
    [],
  );
  const rootKeyDer = await pkcs8Der(pki.rootKey);
  for (const [path, bytes] of await readTree(t.stateDir)) {
    assert(!includesBytes(bytes, rootKeyDer), `${path} holds the root key`);
  }
});

Deno.test("a plain imported CA (no offline root) is the trust anchor itself, with a SEC1 key", async () => {
  await using pki = await makeTwoTierPki();
  // The root is a self-signed CA; import it directly, key as SEC1 PEM.
  const sec1Key = `${pki.dir}/root-sec1.key`;
  await openssl(["ec", "-in", pki.rootKey, "-out", sec1Key]);
  assert(
    (await Deno.readTextFile(sec1Key)).includes("BEGIN EC PRIVATE KEY"),
    "openssl ec must write SEC1",
  );
  await using t = await startTestHub(importYaml(pki.rootCert, sec1Key));
  const rootDer = await pemFileToDer(pki.rootCert);

  const ca = await curl(t, { path: "/ca.crt" });
  assertEquals(ca.status, 200);
  assert(bytesEqual(ca.body, rootDer), "GET /ca.crt must be the imported CA");

  const n1 = await enroll(t, "n1");
  assertEquals(n1.hash, await sha256Hex(rootDer));
  assertEquals(n1.chain.length, 1, "no intermediates in a single-tier answer");
  const verify = await run("openssl", [
    "verify",
    "-CAfile",
    pki.rootCert,
    "-purpose",
    "sslclient",
    n1.leaf,
  ]);
  assertEquals(verify.code, 0, verify.stderr + verify.text);
  assertEquals(
    await filesHoldingKey(t.stateDir, await privateScalar(pki.rootKey)),
    [],
  );
});

Deno.test("an imported intermediate that does not chain to the configured offline root is refused", async () => {
  await using pki = await makeTwoTierPki();
  await using other = await makeTwoTierPki();
  const config = parseConfig(
    "hub",
    `stateDir: ${pki.dir}/state\n` +
      importYaml(pki.intermediateCert, pki.intermediateKey, other.rootCert),
  );
  const store = await openStore(config.stateDir);
  let error: unknown;
  try {
    await loadOrCreateCa(store, config.ca);
  } catch (e) {
    error = e;
  }
  assert(error instanceof Error, "loading the CA must fail");
  assertEquals((error as { code?: string }).code, "CONFIG_INVALID");
  assert(
    error.message.includes("ca.offlineRoot"),
    `message names the field: ${error.message}`,
  );
});

Deno.test("with an offline root, a node gets a node intermediate whose SVIDs chain through the hub intermediate, stored and reloaded with it", async () => {
  await using pki = await makeTwoTierPki();
  await using t = await startTestHub(
    importYaml(pki.intermediateCert, pki.intermediateKey, pki.rootCert),
  );
  const { creds } = await enrollNode(t, "n2");
  const direct = await nodeIntermediateFor(t, "n2", creds);
  const hubIntermediate = await pemFileToDer(pki.intermediateCert);
  assertEquals(direct.upstreamChain?.length, 1);
  assert(bytesEqual(direct.upstreamChain![0].der, hubIntermediate));

  // The renewer stores the hub intermediate with the node CA and a restart
  // (a new renewer on the same store) loads it back.
  const store = await openStore(`${t.dir}/n2-state`);
  const renewer = (holder: IntermediateHolder) =>
    new IntermediateRenewer({
      hubUrl: t.hub.enrollUrl,
      nodeName: "n2",
      trustDomain: "example.org",
      node: () => creds,
      holder,
      store,
    });
  const first = createIntermediateHolder();
  const r1 = renewer(first);
  await r1.start();
  for (let i = 0; i < 200 && !first.current(); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  await r1.stop();
  const again = createIntermediateHolder();
  const r2 = renewer(again);
  await r2.start();
  await r2.stop();
  const intermediate = again.current()!;
  assertEquals(intermediate.upstreamChain?.length, 1);
  assert(bytesEqual(intermediate.upstreamChain![0].der, hubIntermediate));

  // An SVID from it: leaf + node CA + hub intermediate, accepted by openssl
  // with only the offline root as trust anchor.
  const svid = await issueX509Svid({
    intermediate,
    spiffeId: "spiffe://example.org/app",
    ttlMs: 600_000,
  });
  assertEquals(svid.certificates.length, 3);
  await Deno.writeTextFile(
    `${t.dir}/svid.pem`,
    encodeCertificatePem(svid.certificates[0]),
  );
  await Deno.writeTextFile(
    `${t.dir}/untrusted.pem`,
    svid.certificates.slice(1).map(encodeCertificatePem).join(""),
  );
  const v = await run("openssl", [
    "verify",
    "-CAfile",
    pki.rootCert,
    "-untrusted",
    `${t.dir}/untrusted.pem`,
    `${t.dir}/svid.pem`,
  ]);
  assertEquals(v.code, 0, v.stderr + v.text);
});
