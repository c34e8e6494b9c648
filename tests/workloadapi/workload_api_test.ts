/**
 * The Workload API end to end with real clients: a Node.js process running
 * @grpc/grpc-js (not Deno) over the real Unix socket, callers under
 * different uids at the same time (setpriv), openssl verifying what was
 * served, and npm:jose (test-only) as an independent JWT verifier.
 */
// npm:jose is a test-only independent verifier, deliberately not in deno.json
// deno-lint-ignore no-import-prefix
import * as jose from "npm:jose@6.2.17";
import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { fromBase64 } from "../../src/bytes.ts";
import {
  encodeCertificateChainPem,
  NOT_BEFORE_BACKDATE_MS,
  parseCertificateChainDer,
  verifySvidChain,
} from "../../src/pki/mod.ts";
import {
  run,
  runNodeClient,
  spawnNodeClient,
  startTestApi,
  TD,
} from "./_harness.ts";

const INVALID_ARGUMENT = 3;
const PERMISSION_DENIED = 7;

type SvidMsg = {
  uid: number;
  svids: {
    spiffe_id: string;
    hint: string;
    x509_svid: string;
    x509_svid_key: string;
    bundle: string;
  }[];
};

async function opensslVerify(
  dir: string,
  svid: SvidMsg["svids"][0],
  atTime?: number,
): Promise<{ code: number; out: string }> {
  const chain = parseCertificateChainDer(fromBase64(svid.x509_svid));
  const bundle = parseCertificateChainDer(fromBase64(svid.bundle));
  const tag = crypto.randomUUID();
  await Deno.writeTextFile(
    `${dir}/leaf-${tag}.pem`,
    encodeCertificateChainPem(chain.slice(0, 1)),
  );
  await Deno.writeTextFile(
    `${dir}/inter-${tag}.pem`,
    encodeCertificateChainPem(chain.slice(1)),
  );
  await Deno.writeTextFile(
    `${dir}/bundle-${tag}.pem`,
    encodeCertificateChainPem(bundle),
  );
  const r = await run([
    "openssl",
    "verify",
    "-CAfile",
    `${dir}/bundle-${tag}.pem`,
    ...(atTime === undefined
      ? []
      : ["-attime", String(Math.floor(atTime / 1000))]),
    "-untrusted",
    `${dir}/inter-${tag}.pem`,
    `${dir}/leaf-${tag}.pem`,
  ]);
  return { code: r.code, out: r.stdout + r.stderr };
}

Deno.test("a Node.js grpc-js client fetches its X509-SVID, and openssl verifies it against the bundle through the intermediate", async () => {
  const uid = Deno.uid()!;
  await using t = await startTestApi([
    {
      spiffeId: `spiffe://${TD}/app/web`,
      selectors: [`unix:uid:${uid}`],
      hint: "web",
    },
  ]);
  const [msg] = await runNodeClient(t.socket, ["x509", "1"]) as SvidMsg[];
  assertEquals(msg.svids.length, 1);
  const svid = msg.svids[0];
  assertEquals(svid.spiffe_id, `spiffe://${TD}/app/web`);
  assertEquals(svid.hint, "web");
  const chain = parseCertificateChainDer(fromBase64(svid.x509_svid));
  assertEquals(chain.length, 2, "chain = leaf + node intermediate");
  assertEquals(chain[0].uris, [`spiffe://${TD}/app/web`]);
  assertEquals(chain[1].serialHex, t.intermediate.cert.serialHex);
  const v = await opensslVerify(t.dir, svid);
  assertEquals(v.code, 0, v.out);
  assert(v.out.includes(": OK"), v.out);
  // the key is a PKCS#8 DER that openssl reads and that matches the leaf
  await Deno.writeFile(`${t.dir}/key.der`, fromBase64(svid.x509_svid_key));
  const k = await run([
    "openssl",
    "pkey",
    "-inform",
    "DER",
    "-in",
    `${t.dir}/key.der`,
    "-pubout",
  ]);
  assertEquals(k.code, 0, k.stderr);
  await Deno.writeTextFile(
    `${t.dir}/leaf.pem`,
    encodeCertificateChainPem(chain.slice(0, 1)),
  );
  const c = await run([
    "openssl",
    "x509",
    "-in",
    `${t.dir}/leaf.pem`,
    "-noout",
    "-pubkey",
  ]);
  assertEquals(k.stdout, c.stdout);
});

Deno.test("callers are told apart by their executable: unix:path and unix:sha256 (an independent sha256sum of the client's binary) match, another hash does not", async () => {
  const uid = Deno.uid()!;
  const which = await run(["sh", "-c", "command -v node"]);
  const exe = await Deno.realPath(which.stdout.trim());
  const sum = await run(["sha256sum", exe]);
  assertEquals(sum.code, 0, sum.stderr);
  const hash = sum.stdout.split(" ")[0];
  await using t = await startTestApi([
    {
      spiffeId: `spiffe://${TD}/by-hash`,
      selectors: [`unix:uid:${uid}`, `unix:sha256:${hash}`],
    },
    { spiffeId: `spiffe://${TD}/by-path`, selectors: [`unix:path:${exe}`] },
    {
      spiffeId: `spiffe://${TD}/other-binary`,
      selectors: [`unix:sha256:${"0".repeat(64)}`],
    },
  ]);
  const [msg] = await runNodeClient(t.socket, ["x509", "1"]) as SvidMsg[];
  assertEquals(
    msg.svids.map((s) => s.spiffe_id).sort(),
    [`spiffe://${TD}/by-hash`, `spiffe://${TD}/by-path`],
  );
});

Deno.test("a request without the workload.spiffe.io header is refused with InvalidArgument on every RPC", async () => {
  await using t = await startTestApi([
    {
      spiffeId: `spiffe://${TD}/app/web`,
      selectors: [`unix:uid:${Deno.uid()}`],
    },
  ]);
  for (
    const args of [
      ["x509", "1", "noheader"],
      ["bundles", "1", "noheader"],
      ["jwtbundles", "noheader"],
      ["jwt", "aud", "", "noheader"],
      ["validate", "aud", "x.y.z", "noheader"],
    ]
  ) {
    const [r] = await runNodeClient(t.socket, args);
    assertEquals(
      (r.error as { code: number }).code,
      INVALID_ARGUMENT,
      args.join(" "),
    );
    assertEquals(
      (r.error as { details: string }).details,
      "security header missing from request",
    );
  }
});

Deno.test("two callers under different uids at the same time each get only their own SVID, and an unregistered uid is denied", async () => {
  await using t = await startTestApi([
    { spiffeId: `spiffe://${TD}/team-a`, selectors: ["unix:uid:1000"] },
    { spiffeId: `spiffe://${TD}/team-b`, selectors: ["unix:uid:1001"] },
    {
      spiffeId: `spiffe://${TD}/team-b-admin`,
      selectors: ["unix:uid:1001", "unix:gid:1001"],
    },
  ]);
  const calls = [];
  for (let round = 0; round < 3; round++) {
    calls.push(runNodeClient(t.socket, ["x509", "1"], 1000));
    calls.push(runNodeClient(t.socket, ["x509", "1"], 1001));
    calls.push(runNodeClient(t.socket, ["x509", "1"], 1002));
  }
  const results = await Promise.all(calls);
  for (let i = 0; i < results.length; i++) {
    const [r] = results[i] as (SvidMsg & { error?: { code: number } })[];
    switch (i % 3) {
      case 0:
        assertEquals(r.uid, 1000);
        assertEquals(r.svids.map((s) => s.spiffe_id), [
          `spiffe://${TD}/team-a`,
        ]);
        break;
      case 1:
        assertEquals(r.uid, 1001);
        assertEquals(r.svids.map((s) => s.spiffe_id), [
          `spiffe://${TD}/team-b`,
          `spiffe://${TD}/team-b-admin`,
        ]);
        break;
      default:
        assertEquals(r.error?.code, PERMISSION_DENIED);
    }
  }
  const [jwtDenied] = await runNodeClient(t.socket, [
    "jwt",
    "db",
    `spiffe://${TD}/team-a`,
  ], 1001);
  assertEquals(
    (jwtDenied.error as { code: number }).code,
    PERMISSION_DENIED,
    "uid 1001 cannot ask for team-a",
  );
});

Deno.test("a streaming client receives at least 3 rotations from the intermediate while no hub is reachable, each verifying against the bundle", async () => {
  await using t = await startTestApi(
    [{
      spiffeId: `spiffe://${TD}/offline`,
      selectors: [`unix:uid:${Deno.uid()}`],
    }],
    { svidTtlMs: 2_000 },
  );
  const msgs = await runNodeClient(t.socket, ["x509", "4"]) as SvidMsg[];
  assertEquals(msgs.length, 4);
  const serials = new Set<string>();
  for (const m of msgs) {
    const s = m.svids[0];
    const chain = parseCertificateChainDer(fromBase64(s.x509_svid));
    serials.add(chain[0].serialHex);
    // verified as of when it was issued (the first ones have expired by now)
    const issuedAt = chain[0].notBefore.getTime() + NOT_BEFORE_BACKDATE_MS;
    const { spiffeId } = await verifySvidChain(
      chain[0],
      chain.slice(1),
      parseCertificateChainDer(fromBase64(s.bundle)),
      { trustDomain: TD, maxClockSkewMs: 0, at: issuedAt },
    );
    assertEquals(spiffeId, `spiffe://${TD}/offline`);
    assert(chain[0].notAfter.getTime() - issuedAt <= 2_000, "TTL honoured");
    const v = await opensslVerify(t.dir, s, issuedAt);
    assertEquals(v.code, 0, v.out);
  }
  assertEquals(serials.size, 4, "every message carries a new SVID");
});

Deno.test("a JWT-SVID is validated by ValidateJWTSVID and by npm:jose with the JWT bundle, and refused for another audience", async () => {
  await using t = await startTestApi([
    { spiffeId: `spiffe://${TD}/api`, selectors: [`unix:uid:${Deno.uid()}`] },
  ]);
  const [res] = await runNodeClient(t.socket, ["jwt", "db.example"]);
  const svids = res.svids as { spiffe_id: string; svid: string }[];
  assertEquals(svids.length, 1);
  assertEquals(svids[0].spiffe_id, `spiffe://${TD}/api`);
  const token = svids[0].svid;

  const [valid] = await runNodeClient(t.socket, [
    "validate",
    "db.example",
    token,
  ]);
  assertEquals(valid.spiffe_id, `spiffe://${TD}/api`);
  const claims = valid.claims as {
    fields: Record<string, { kind: string; stringValue?: string }>;
  };
  assertEquals(claims.fields.sub.stringValue, `spiffe://${TD}/api`);

  const [bad] = await runNodeClient(t.socket, ["validate", "other", token]);
  assertEquals((bad.error as { code: number }).code, INVALID_ARGUMENT);
  const [noAud] = await runNodeClient(t.socket, ["jwt", ""]);
  assertEquals((noAud.error as { code: number }).code, INVALID_ARGUMENT);

  const [bundles] = await runNodeClient(t.socket, ["jwtbundles"]);
  const jwks = JSON.parse(
    (bundles.bundles as Record<string, string>)[`spiffe://${TD}`],
  );
  // the SPIFFE bundle marks keys use=jwt-svid, which jose's JWKS helper
  // skips (it wants use=sig); pick the key by kid and import it directly
  const { kid } = jose.decodeProtectedHeader(token);
  const jwk = jwks.keys.find((k: { kid: string }) => k.kid === kid);
  assertEquals(jwk.use, "jwt-svid");
  const key = await jose.importJWK({
    kty: jwk.kty,
    crv: jwk.crv,
    x: jwk.x,
    y: jwk.y,
  }, "ES256");
  const { payload, protectedHeader } = await jose.jwtVerify(token, key, {
    audience: "db.example",
    algorithms: ["ES256"],
  });
  assertEquals(payload.sub, `spiffe://${TD}/api`);
  assertEquals(protectedHeader.alg, "ES256");
  assert(
    typeof payload.exp === "number" &&
      payload.exp * 1000 - Date.now() <= 300_000,
  );
});

Deno.test("FetchX509Bundles streams the trust domain's roots keyed by trust domain ID", async () => {
  await using t = await startTestApi([
    { spiffeId: `spiffe://${TD}/x`, selectors: [`unix:uid:${Deno.uid()}`] },
  ]);
  const [m] = await runNodeClient(t.socket, ["bundles", "1"]);
  const b = m.bundles as Record<string, string>;
  assertEquals(Object.keys(b), [`spiffe://${TD}`]);
  const roots = parseCertificateChainDer(fromBase64(b[`spiffe://${TD}`]));
  assertEquals(roots.map((r) => r.serialHex), [t.ca.root.cert.serialHex]);
});

Deno.test("closing the API ends a held stream with OK and returns although the client keeps its channel open", async () => {
  const t = await startTestApi([{
    spiffeId: `spiffe://${TD}/held`,
    selectors: [`unix:uid:${Deno.uid()}`],
  }]);
  try {
    await using client = await spawnNodeClient(t.socket, ["hold"]);
    assertEquals(await client.next(), { spiffe_id: `spiffe://${TD}/held` });
    // a grpc-js channel stays connected after its stream ends; closing
    // used to wait for that connection forever
    let timer: ReturnType<typeof setTimeout> | undefined;
    const closed = await Promise.race([
      t.api.close().then(() => "closed"),
      new Promise((r) => timer = setTimeout(() => r("hung"), 20_000)),
    ]);
    clearTimeout(timer);
    assertEquals(closed, "closed");
    assertEquals(await client.next(), { status: 0 });
    await assertRejects(() => Deno.stat(t.socket), Deno.errors.NotFound);
    assertEquals(t.api.server.connections, 0);
  } finally {
    await t[Symbol.asyncDispose]();
  }
});

Deno.test("the server's `answered` resolves once a first call was answered, not before", async () => {
  await using t = await startTestApi([
    {
      spiffeId: `spiffe://${TD}/app/web`,
      selectors: [`unix:uid:${Deno.uid()}`],
    },
  ]);
  let answered = false;
  t.api.server.answered.then(() => answered = true);
  await new Promise((r) => setTimeout(r, 50));
  assertEquals(answered, false, "answered before any call");
  const [msg] = await runNodeClient(t.socket, ["x509", "1"]) as SvidMsg[];
  assertEquals(msg.svids[0].spiffe_id, `spiffe://${TD}/app/web`);
  await t.api.server.answered;
});
