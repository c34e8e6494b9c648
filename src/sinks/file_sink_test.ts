import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { FakeClock } from "../../tests/_fixtures/clock.ts";
import { createTestCa } from "../../tests/workloadapi/_ca.ts";
import {
  parseCertificateChain,
  parsePrivateKey,
  verifySvidChain,
} from "../pki/mod.ts";
import {
  createIntermediateHolder,
  JwtSvidAuthority,
  X509SvidCache,
} from "../svid/mod.ts";
import { FileSink, type FileSinkState } from "./file_sink.ts";

const TD = "example.org";
const ID = `spiffe://${TD}/sink`;

async function setup(clock?: FakeClock, ttl = 3_600_000) {
  const ca = await createTestCa(TD, clock);
  const holder = createIntermediateHolder(await ca.intermediate());
  const x509 = new X509SvidCache({
    entries: { list: () => [{ id: "s", spiffeId: ID }], watch: () => () => {} },
    intermediates: holder,
    defaultTtlMs: ttl,
    clock,
  });
  x509.start();
  await x509.settled();
  const dir = await Deno.makeTempDir();
  return { x509, dir, ca };
}

function next(
  sink: FileSink,
  pred: (s: FileSinkState) => boolean,
): Promise<FileSinkState> {
  return new Promise((resolve) => {
    if (pred(sink.state())) return resolve(sink.state());
    const stop = sink.watch((s) => {
      if (pred(s)) {
        stop();
        resolve(s);
      }
    });
  });
}

Deno.test("a sink writes svid.pem, svid_key.pem (0600), bundle.pem and a JWT-SVID, then signals the pid in a pid file", async () => {
  const { x509, dir } = await setup();
  const hupLog = `${dir}/hups`;
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      `trap 'echo hup >> ${hupLog}' HUP; echo $$ > ${dir}/app.pid; while :; do sleep 0.05; done`,
    ],
  }).spawn();
  while (!(await Deno.stat(`${dir}/app.pid`).catch(() => null))) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const jwt = await JwtSvidAuthority.create({ trustDomain: TD });
  const sink = new FileSink({
    certFile: `${dir}/out/svid.pem`,
    keyFile: `${dir}/out/svid_key.pem`,
    bundleFile: `${dir}/out/bundle.pem`,
    jwtAudience: "db",
    jwtFile: `${dir}/out/jwt.token`,
    reload: { pidFile: `${dir}/app.pid`, signal: "SIGHUP" },
  }, { x509, jwt });
  sink.start();
  await next(sink, (s) => s.rounds === 1);
  const chain = parseCertificateChain(
    await Deno.readTextFile(`${dir}/out/svid.pem`),
  );
  const bundle = parseCertificateChain(
    await Deno.readTextFile(`${dir}/out/bundle.pem`),
  );
  assertEquals(
    (await verifySvidChain(chain[0], chain.slice(1), bundle)).spiffeId,
    ID,
  );
  await parsePrivateKey(await Deno.readTextFile(`${dir}/out/svid_key.pem`));
  assertEquals(
    (await Deno.stat(`${dir}/out/svid_key.pem`)).mode! & 0o777,
    0o600,
  );
  assertEquals((await Deno.stat(`${dir}/out/jwt.token`)).mode! & 0o777, 0o600);
  assertEquals(
    (await jwt.validate(await Deno.readTextFile(`${dir}/out/jwt.token`), "db"))
      .spiffeId,
    ID,
  );
  while (!(await Deno.readTextFile(hupLog).catch(() => ""))) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assertEquals((await Deno.readTextFile(hupLog)).trim(), "hup");
  await sink.stop();
  await x509.stop();
  child.kill("SIGKILL");
  await child.status;
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a failing reload command is reported and retried with backoff, and rotation goes on meanwhile", async () => {
  const clock = new FakeClock();
  const { x509, dir } = await setup(clock, 60_000);
  const flag = `${dir}/ok`;
  const sink = new FileSink({
    certFile: `${dir}/svid.pem`,
    keyFile: `${dir}/svid_key.pem`,
    bundleFile: `${dir}/bundle.pem`,
    reload: { command: ["bash", "-c", `test -e ${flag}`] },
  }, { x509, clock });
  sink.start();
  const first = await next(sink, (s) => s.failures === 1);
  assert(first.lastError?.includes("exited with 1"), String(first.lastError));
  const written = first.writtenSerial;
  assert(written, "files are written even though the reload failed");
  await clock.advance(1_000);
  await next(sink, (s) => s.failures === 2);
  // rotation continues while the reload keeps failing
  await clock.advance(40_000);
  await x509.settled();
  const rotated = x509.snapshot().svids.get("s")!.certificates[0].serialHex;
  assert(rotated !== written);
  await next(sink, (s) => s.writtenSerial === rotated);
  await Deno.writeTextFile(flag, "");
  await clock.advance(30_000);
  const ok = await next(sink, (s) => s.rounds >= 1);
  assertEquals(ok.failures, 0);
  await sink.stop();
  await x509.stop();
  await Deno.remove(dir, { recursive: true });
});
