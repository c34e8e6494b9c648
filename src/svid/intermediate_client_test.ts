import { assertEquals, assertRejects } from "../../tests/_fixtures/assert.ts";
import { isEdgeError } from "../errors.ts";
import {
  type Certificate,
  type CertificateIssuer,
  createSelfSignedCa,
  generateKeyPair,
  issueCertificate,
} from "../pki/mod.ts";
import { systemClock } from "../clock.ts";
import { checkIssuers } from "./intermediate_client.ts";

const HOUR = 3_600_000;

async function ca(
  issuer: CertificateIssuer,
  cn: string,
  pathLength?: number,
): Promise<CertificateIssuer> {
  const keys = await generateKeyPair();
  const cert = await issueCertificate({
    issuer,
    subjectPublicKey: keys.publicKey,
    profile: "ca",
    subject: { CN: cn },
    ttlMs: HOUR,
    ...(pathLength === undefined ? {} : { pathLength }),
  });
  return { cert, keys };
}

const root = await createSelfSignedCa({ subject: { CN: "Root" }, ttlMs: HOUR });
const hub = await ca(root, "Hub intermediate");
const check = (node: Certificate, upstream: Certificate[]) =>
  checkIssuers(node, upstream, [root.cert], systemClock);

Deno.test("a node intermediate chains to the bundle directly or through the hub's intermediates, in order", async () => {
  await check((await ca(root, "Node CA", 0)).cert, []);
  await check((await ca(hub, "Node CA", 0)).cert, [hub.cert]);
  const deeper = await ca(hub, "Hub intermediate 2", 1);
  await check((await ca(deeper, "Node CA", 0)).cert, [deeper.cert, hub.cert]);
});

Deno.test("a node intermediate is refused when its hub intermediates are missing, out of order or may not issue CAs", async () => {
  const refused = (p: Promise<unknown>, text: string) =>
    assertRejects(
      () => p,
      (e: unknown) =>
        isEdgeError(e, "INTERMEDIATE_FAILED") &&
        (e as Error).message.includes(text),
    );
  const node = (await ca(hub, "Node CA", 0)).cert;
  await refused(check(node, []), "not signed by a CA of the trust bundle");
  const deeper = await ca(hub, "Hub intermediate 2");
  await refused(
    check((await ca(deeper, "Node CA", 0)).cert, [hub.cert, deeper.cert]),
    "not signed by the hub intermediate that follows it",
  );
  // Our issuer refuses to sign a CA under pathLen 0, so sign with a twin
  // certificate of the same key and subject, then present the limited one.
  const twin = await ca(root, "Hub intermediate, pathLen 0");
  const limited = await issueCertificate({
    issuer: root,
    subjectPublicKey: twin.keys.publicKey,
    profile: "ca",
    subject: { CN: "Hub intermediate, pathLen 0" },
    ttlMs: HOUR,
    pathLength: 0,
  });
  await refused(
    check((await ca(twin, "Node CA", 0)).cert, [limited]),
    "cannot issue the 1 CA(s) below it: pathLen 0",
  );
});

Deno.test("after the node re-enrolls under a new hub CA the intermediate is replaced at once, not at its half-life", async () => {
  const { createTestCa } = await import("../../tests/workloadapi/_ca.ts");
  const { openStore } = await import("../store/mod.ts");
  const { encodeCertificatePem } = await import("../pki/mod.ts");
  const { createIntermediateHolder } = await import("./intermediate.ts");
  const { IntermediateRenewer } = await import("./intermediate_client.ts");
  const oldCa = await createTestCa("example.org");
  const newCa = await createTestCa("example.org");
  const creds = (bundle: Certificate) => ({
    certChainPem: "",
    keyPem: "",
    bundlePem: encodeCertificatePem(bundle),
  });
  let node = creds(oldCa.root.cert);
  const asked: string[] = [];
  const holder = createIntermediateHolder();
  holder.set(await oldCa.intermediate()); // 7 days: half-life far away
  const dir = await Deno.makeTempDir();
  const renewer = new IntermediateRenewer({
    hubUrl: "https://127.0.0.1:1",
    nodeName: "pi-1",
    trustDomain: "example.org",
    node: () => node,
    holder,
    store: await openStore(dir),
    request: async (o) => {
      asked.push(o.node.bundlePem);
      return await newCa.intermediate();
    },
  });
  try {
    await renewer.start();
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(asked.length, 0, "renewed although nothing changed");
    renewer.nodeChanged(); // a routine renewal: same bundle
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(asked.length, 0, "renewed on a node change that kept the CA");
    node = creds(newCa.root.cert);
    renewer.nodeChanged();
    for (let i = 0; i < 100 && asked.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(asked, [node.bundlePem]);
    const { bytesEqual } = await import("../bytes.ts");
    const renewed = () =>
      bytesEqual(
        holder.current()!.bundle.authorities[0].der,
        newCa.root.cert.der,
      );
    for (let i = 0; i < 100 && !renewed(); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(renewed(), true);
  } finally {
    await renewer.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
