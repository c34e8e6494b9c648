/**
 * Time-driven behaviour with a fake clock: renewal within and beyond the
 * grace window after expiry, and the hub's TLS certificate renewed without
 * restart (new connections get the new one).
 */
import tls from "node:tls";
import {
  assertEquals,
  assertMatch,
  assertNotEquals,
} from "../_fixtures/assert.ts";
import { FakeClock } from "../_fixtures/clock.ts";
import {
  curl,
  makeCsr,
  nodeSubject,
  startTestHub,
  type TestHub,
  writePem,
} from "./_hub.ts";

async function enroll(t: TestHub, node: string) {
  const { token } = await t.hub.authority.createToken({ node });
  const { key, csr } = await makeCsr(t.dir, node, nodeSubject(node));
  const res = await curl(t, {
    path: "/edge.crt",
    bodyFile: csr,
    headers: {
      Authorization: `Bearer ${token.split(".").slice(1).join(".")}`,
      NodeName: node,
    },
  });
  assertEquals(res.status, 200, res.text);
  const cert = `${t.dir}/${node}.pem`;
  await writePem(cert, res.body);
  return { cert, key, csr };
}

Deno.test("an expired certificate renews within the grace window and is refused beyond it", async () => {
  const clock = new FakeClock(Date.now());
  await using t = await startTestHub(
    "enroll:\n  nodeCertTtl: 1m\n  renewGrace: 1h\n",
    { clock },
  );
  const e = await enroll(t, "n1");
  await clock.advance(5 * 60_000); // expired 4 min ago, within 1h grace
  const ok = await curl(t, {
    path: "/edge.crt",
    bodyFile: e.csr,
    headers: { NodeName: "n1" },
    cert: e.cert,
    key: e.key,
  });
  assertEquals(ok.status, 200, ok.text);

  await clock.advance(2 * 3_600_000); // the first cert is now far past grace
  const late = await curl(t, {
    path: "/edge.crt",
    bodyFile: e.csr,
    headers: { NodeName: "n1" },
    cert: e.cert,
    key: e.key,
  });
  assertEquals(late.status, 401);
  assertMatch(late.text, /expired at .* \(beyond the renewal grace\)/);
});

Deno.test("with the default grace of 0 an expired certificate cannot renew", async () => {
  const clock = new FakeClock(Date.now());
  await using t = await startTestHub("enroll:\n  nodeCertTtl: 1m\n", { clock });
  const e = await enroll(t, "n1");
  await clock.advance(2 * 60_000);
  const res = await curl(t, {
    path: "/edge.crt",
    bodyFile: e.csr,
    headers: { NodeName: "n1" },
    cert: e.cert,
    key: e.key,
  });
  assertEquals(res.status, 401);
  assertMatch(res.text, /expired at/);
});

function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: "127.0.0.1",
      port,
      rejectUnauthorized: false,
    }, () => {
      const serial = s.getPeerCertificate().serialNumber.toLowerCase();
      s.destroy();
      resolve(serial.replace(/^0+/, ""));
    });
    s.on("error", reject);
  });
}

Deno.test("the hub's TLS certificate is renewed before expiry without restart", async () => {
  const clock = new FakeClock(Date.now());
  await using t = await startTestHub("", {
    clock,
    servingCertTtlMs: 3 * 3_600_000,
  });
  const first = t.hub.servingSerial;
  assertEquals(await servedSerial(t.hub.enrollPort), first.replace(/^0+/, ""));
  await clock.advance(2.5 * 3_600_000); // past 2/3 of the lifetime
  for (let i = 0; i < 50 && t.hub.servingSerial === first; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const second = t.hub.servingSerial;
  assertNotEquals(second, first);
  assertEquals(await servedSerial(t.hub.enrollPort), second.replace(/^0+/, ""));
});
