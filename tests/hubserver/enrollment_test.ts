/**
 * Enrollment end to end with real clients on loopback: `openssl req` makes
 * the CSR, `curl` talks to the hub, `openssl verify` / `openssl crl` judge
 * what the hub issued.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { sha256Hex } from "../../src/bytes.ts";
import {
  auditLines,
  curl,
  makeCsr,
  nodeSubject,
  run,
  startTestHub,
  stateSnapshot,
  type TestHub,
  writePem,
} from "./_hub.ts";

async function token(t: TestHub, node: string, ttlMs?: number) {
  const { token } = await t.hub.authority.createToken({ node, ttlMs });
  return { full: token, jwt: token.split(".").slice(1).join(".") };
}

/** Enroll `node` with a token via curl; returns the cert/key file paths. */
async function enroll(t: TestHub, node: string, ekus?: string) {
  const { jwt } = await token(t, node);
  const { key, csr } = await makeCsr(t.dir, node, nodeSubject(node));
  const headers: Record<string, string> = {
    Authorization: `Bearer ${jwt}`,
    NodeName: node,
  };
  if (ekus) headers.ExtKeyUsages = ekus;
  const res = await curl(t, { path: "/edge.crt", bodyFile: csr, headers });
  assertEquals(res.status, 200, res.text);
  const cert = `${t.dir}/${node}.pem`;
  await writePem(cert, res.body);
  return { cert, key, csr, der: res.body };
}

Deno.test("a node enrolls with curl and a join token; openssl verify accepts the certificate", async () => {
  await using t = await startTestHub();
  const { full, jwt } = await token(t, "n1");
  assertEquals(full.split(".").length, 4);

  const ca = await curl(t, { path: "/ca.crt" });
  assertEquals(ca.status, 200);
  assertEquals(await sha256Hex(ca.body), full.split(".")[0]);

  const { key: _key, csr } = await makeCsr(t.dir, "n1", nodeSubject("n1"));
  const res = await curl(t, {
    path: "/edge.crt",
    bodyFile: csr,
    headers: { Authorization: `Bearer ${jwt}`, NodeName: "n1" },
  });
  assertEquals(res.status, 200, res.text);
  await writePem(`${t.dir}/n1.pem`, res.body);
  const verify = await run("openssl", [
    "verify",
    "-CAfile",
    t.caFile,
    "-purpose",
    "sslclient",
    `${t.dir}/n1.pem`,
  ]);
  assertEquals(verify.code, 0, verify.stderr + verify.text);
  const text = (await run("openssl", [
    "x509",
    "-in",
    `${t.dir}/n1.pem`,
    "-noout",
    "-text",
  ])).text;
  assertStringIncludes(text, "URI:spiffe://example.org/node/n1");
  assertMatch(text, /Subject: O\s*=\s*system:nodes, CN\s*=\s*system:node:n1/);
  assertStringIncludes(text, "TLS Web Client Authentication");

  const lines = await auditLines(t);
  const actions = lines.map((l) => `${l.action}:${l.outcome}`);
  assertEquals(actions, ["token.create:ok", "token.use:ok", "enroll:ok"]);
  assertEquals(lines[2].node, "n1");
  assertEquals(lines[2].source, "127.0.0.1");
  assert(typeof lines[2].serial === "string");
  const nodes = await t.hub.authority.listNodes();
  assertEquals(nodes.map((n) => [n.name, n.state]), [["n1", "active"]]);
});

Deno.test("POST /edge.crt works too, and ExtKeyUsages [2,1] gives client and server auth", async () => {
  await using t = await startTestHub();
  const { jwt } = await token(t, "n1");
  const { csr } = await makeCsr(t.dir, "n1", nodeSubject("n1"));
  const res = await curl(t, {
    method: "POST",
    path: "/edge.crt",
    bodyFile: csr,
    headers: {
      Authorization: `Bearer ${jwt}`,
      NodeName: "n1",
      ExtKeyUsages: "[2,1]",
    },
  });
  assertEquals(res.status, 200, res.text);
  await writePem(`${t.dir}/n1.pem`, res.body);
  const text = (await run("openssl", [
    "x509",
    "-in",
    `${t.dir}/n1.pem`,
    "-noout",
    "-text",
  ])).text;
  assertStringIncludes(text, "TLS Web Server Authentication");
  assertStringIncludes(text, "TLS Web Client Authentication");
});

Deno.test("a node renews with its certificate via curl --cert/--key", async () => {
  await using t = await startTestHub();
  const first = await enroll(t, "n1");
  const next = await makeCsr(t.dir, "n1b", nodeSubject("n1"));
  const res = await curl(t, {
    path: "/edge.crt",
    bodyFile: next.csr,
    headers: { NodeName: "n1" },
    cert: first.cert,
    key: first.key,
  });
  assertEquals(res.status, 200, res.text);
  await writePem(`${t.dir}/renewed.pem`, res.body);
  const verify = await run("openssl", [
    "verify",
    "-CAfile",
    t.caFile,
    `${t.dir}/renewed.pem`,
  ]);
  assertEquals(verify.code, 0, verify.stderr);
  const lines = await auditLines(t);
  assertEquals(lines.at(-1)?.action, "renew");
  assertEquals(lines.at(-1)?.outcome, "ok");
  const [rec] = await t.hub.authority.listNodes();
  assertEquals(rec.certs.length, 2);
});

interface Refusal {
  name: string;
  status: number;
  reason: RegExp;
  /** Prepare and return the curl options. */
  setup: (t: TestHub) => Promise<Parameters<typeof curl>[1]>;
}

const REFUSALS: Refusal[] = [
  {
    name: "a replayed token",
    status: 401,
    reason: /already used/,
    setup: async (t) => {
      const { jwt } = await token(t, "n1");
      const { csr } = await makeCsr(t.dir, "r1", nodeSubject("n1"));
      const h = { Authorization: `Bearer ${jwt}`, NodeName: "n1" };
      assertEquals(
        (await curl(t, { path: "/edge.crt", bodyFile: csr, headers: h }))
          .status,
        200,
      );
      return { path: "/edge.crt", bodyFile: csr, headers: h };
    },
  },
  {
    name: "an expired token",
    status: 401,
    reason: /expired/,
    setup: async (t) => {
      const { jwt } = await token(t, "n1", 1000);
      await new Promise((r) => setTimeout(r, 2100));
      const { csr } = await makeCsr(t.dir, "r2", nodeSubject("n1"));
      return {
        path: "/edge.crt",
        bodyFile: csr,
        headers: { Authorization: `Bearer ${jwt}`, NodeName: "n1" },
      };
    },
  },
  {
    name: "a token for another node",
    status: 401,
    reason: /not for node "n3"/,
    setup: async (t) => {
      const { jwt } = await token(t, "n2");
      const { csr } = await makeCsr(t.dir, "r3", nodeSubject("n3"));
      return {
        path: "/edge.crt",
        bodyFile: csr,
        headers: { Authorization: `Bearer ${jwt}`, NodeName: "n3" },
      };
    },
  },
  {
    name: "a wrong CSR subject",
    status: 400,
    reason: /CSR subject/,
    setup: async (t) => {
      const { jwt } = await token(t, "n1");
      const { csr } = await makeCsr(t.dir, "r4", "/O=KubeEdge/CN=kubeedge.io");
      return {
        path: "/edge.crt",
        bodyFile: csr,
        headers: { Authorization: `Bearer ${jwt}`, NodeName: "n1" },
      };
    },
  },
  {
    name: "a locked node renewing",
    status: 403,
    reason: /locked/,
    setup: async (t) => {
      const e = await enroll(t, "n1");
      await t.hub.authority.lockNode("n1");
      const { csr } = await makeCsr(t.dir, "r5", nodeSubject("n1"));
      return {
        path: "/edge.crt",
        bodyFile: csr,
        headers: { NodeName: "n1" },
        cert: e.cert,
        key: e.key,
      };
    },
  },
  {
    name: "a locked node enrolling with a new token",
    status: 403,
    reason: /locked/,
    setup: async (t) => {
      await enroll(t, "n1");
      await t.hub.authority.lockNode("n1");
      const { jwt } = await token(t, "n1");
      const { csr } = await makeCsr(t.dir, "r5b", nodeSubject("n1"));
      return {
        path: "/edge.crt",
        bodyFile: csr,
        headers: { Authorization: `Bearer ${jwt}`, NodeName: "n1" },
      };
    },
  },
  {
    name: "a revoked node renewing",
    status: 401,
    reason: /revoked/,
    setup: async (t) => {
      const e = await enroll(t, "n1");
      await t.hub.authority.revokeNode("n1");
      const { csr } = await makeCsr(t.dir, "r6", nodeSubject("n1"));
      return {
        path: "/edge.crt",
        bodyFile: csr,
        headers: { NodeName: "n1" },
        cert: e.cert,
        key: e.key,
      };
    },
  },
  {
    name: "a renewal certificate naming another node",
    status: 401,
    reason: /is for node "n1", not "n2"/,
    setup: async (t) => {
      const e = await enroll(t, "n1");
      const { csr } = await makeCsr(t.dir, "r6b", nodeSubject("n2"));
      return {
        path: "/edge.crt",
        bodyFile: csr,
        headers: { NodeName: "n2" },
        cert: e.cert,
        key: e.key,
      };
    },
  },
  {
    name: "an oversized body",
    status: 413,
    reason: /too large/,
    setup: async (t) => {
      const { jwt } = await token(t, "n1");
      const big = `${t.dir}/big.bin`;
      await Deno.writeFile(big, new Uint8Array((1 << 20) + 1));
      return {
        path: "/edge.crt",
        bodyFile: big,
        headers: { Authorization: `Bearer ${jwt}`, NodeName: "n1" },
      };
    },
  },
  {
    name: "a garbage body",
    status: 400,
    reason: /CSR/,
    setup: async (t) => {
      const { jwt } = await token(t, "n1");
      const junk = `${t.dir}/junk.bin`;
      await Deno.writeTextFile(junk, "this is not a CSR");
      return {
        path: "/edge.crt",
        bodyFile: junk,
        headers: { Authorization: `Bearer ${jwt}`, NodeName: "n1" },
      };
    },
  },
  {
    name: "no token and no client certificate",
    status: 401,
    reason: /no join token/,
    setup: async (t) => {
      const { csr } = await makeCsr(t.dir, "r7", nodeSubject("n1"));
      return { path: "/edge.crt", bodyFile: csr, headers: { NodeName: "n1" } };
    },
  },
];

for (const r of REFUSALS) {
  Deno.test(`${r.name} is refused with ${r.status}, an audit line, and no state change`, async () => {
    await using t = await startTestHub();
    const req = await r.setup(t);
    const before = await stateSnapshot(t.stateDir);
    const auditBefore = (await auditLines(t)).length;
    const res = await curl(t, req);
    assertEquals(res.status, r.status, res.text);
    assertMatch(res.text, r.reason);
    const lines = await auditLines(t);
    assertEquals(lines.length, auditBefore + 1);
    const last = lines.at(-1)!;
    assertEquals(last.outcome, "refused");
    assertMatch(String(last.reason), r.reason);
    assertEquals(last.source, "127.0.0.1");
    assertEquals(await stateSnapshot(t.stateDir), before);
  });
}

Deno.test("the CRL verifies with openssl crl -CAfile and lists a revoked node's serial", async () => {
  await using t = await startTestHub();
  const e = await enroll(t, "n1");
  await t.hub.authority.revokeNode("n1");
  const res = await curl(t, { path: "/crl", out: `${t.dir}/crl.der` });
  assertEquals(res.status, 200);
  const crl = await run("openssl", [
    "crl",
    "-inform",
    "DER",
    "-in",
    `${t.dir}/crl.der`,
    "-CAfile",
    t.caFile,
    "-noout",
    "-text",
  ]);
  assertEquals(crl.code, 0, crl.stderr);
  assertStringIncludes(crl.stderr + crl.text, "verify OK");
  const serial =
    (await run("openssl", ["x509", "-in", e.cert, "-noout", "-serial"]))
      .text.trim().split("=")[1];
  assertStringIncludes(crl.text.toUpperCase(), serial.toUpperCase());
  const lines = await auditLines(t);
  assertEquals(lines.at(-1)?.action, "node.revoke");
});

Deno.test("a node gets a node intermediate CA with its certificate, constrained to the trust domain", async () => {
  await using t = await startTestHub();
  const e = await enroll(t, "n1");
  const ca = await makeCsr(t.dir, "nodeca", "/CN=ignored");
  const res = await curl(t, {
    method: "POST",
    path: "/node-ca.crt",
    bodyFile: ca.csr,
    headers: { NodeName: "n1" },
    cert: e.cert,
    key: e.key,
  });
  assertEquals(res.status, 200, res.text);
  await writePem(`${t.dir}/nodeca.pem`, res.body);
  const text = (await run("openssl", [
    "x509",
    "-in",
    `${t.dir}/nodeca.pem`,
    "-noout",
    "-text",
  ])).text;
  assertMatch(text, /CA:TRUE, pathlen:0/);
  assertStringIncludes(text, "Certificate Sign");
  assertMatch(text, /Permitted:\s*\n\s*URI:example\.org/);
  const verify = await run("openssl", [
    "verify",
    "-CAfile",
    t.caFile,
    `${t.dir}/nodeca.pem`,
  ]);
  assertEquals(verify.code, 0, verify.stderr);

  await t.hub.authority.lockNode("n1");
  const refused = await curl(t, {
    path: "/node-ca.crt",
    bodyFile: ca.csr,
    headers: { NodeName: "n1" },
    cert: e.cert,
    key: e.key,
  });
  assertEquals(refused.status, 403);
  await t.hub.authority.unlockNode("n1");
  const again = await curl(t, {
    path: "/node-ca.crt",
    bodyFile: ca.csr,
    headers: { NodeName: "n1" },
    cert: e.cert,
    key: e.key,
  });
  assertEquals(again.status, 200, again.text);
});

Deno.test("requests over the per-node rate limit get 429 with Retry-After and an audit line", async () => {
  await using t = await startTestHub(
    "enroll:\n  rateLimit:\n    perNodePerMinute: 1\n    perSourcePerMinute: 100\n",
  );
  await enroll(t, "n1");
  const { csr } = await makeCsr(t.dir, "x", nodeSubject("n1"));
  const res = await curl(t, {
    path: "/edge.crt",
    bodyFile: csr,
    headers: { NodeName: "n1" },
  });
  assertEquals(res.status, 429);
  assertMatch(res.headers, /retry-after: \d+/i);
  const last = (await auditLines(t)).at(-1)!;
  assertEquals([last.outcome, last.status], ["refused", 429]);
});

Deno.test("locking a node closes its registered live sessions (hub link hook)", async () => {
  await using t = await startTestHub();
  await enroll(t, "n1");
  const closed: string[] = [];
  t.hub.sessions.register("n1", (reason) => closed.push(reason));
  t.hub.sessions.register("n2", () => closed.push("wrong node"));
  await t.hub.authority.lockNode("n1");
  assertEquals(closed, ["node locked"]);
  assertEquals(t.hub.sessions.count("n1"), 0);
  assertEquals(t.hub.sessions.count("n2"), 1);
});
