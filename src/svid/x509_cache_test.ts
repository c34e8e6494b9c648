import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { FakeClock } from "../../tests/_fixtures/clock.ts";
import { createTestCa } from "../../tests/workloadapi/_ca.ts";
import { secureRandom } from "../random.ts";
import { verifySvidChain } from "../pki/mod.ts";
import { createIntermediateHolder } from "./intermediate.ts";
import { type SvidRequest, X509SvidCache } from "./x509_cache.ts";
import { issueX509Svid } from "./x509_svid.ts";

const TD = "example.org";
const HOUR = 3_600_000;

function entrySource(initial: SvidRequest[]) {
  let list: readonly SvidRequest[] = initial;
  const watchers = new Set<() => void>();
  return {
    list: () => list,
    watch(cb: () => void) {
      watchers.add(cb);
      return () => watchers.delete(cb);
    },
    set(next: SvidRequest[]) {
      list = next;
      watchers.forEach((cb) => cb());
    },
  };
}

async function setup(
  opts: { intermediateTtl?: number; ttl?: number; u?: number } = {},
) {
  const clock = new FakeClock();
  const ca = await createTestCa(TD, clock);
  const holder = createIntermediateHolder(
    await ca.intermediate(opts.intermediateTtl ?? 24 * HOUR),
  );
  const entries = entrySource([{ id: "a", spiffeId: `spiffe://${TD}/a` }]);
  let issued = 0;
  const cache = new X509SvidCache({
    entries,
    intermediates: holder,
    defaultTtlMs: opts.ttl ?? HOUR,
    clock,
    random: { bytes: secureRandom.bytes, float: () => opts.u ?? 0.5 },
    issue: (o) => {
      issued++;
      return issueX509Svid(o);
    },
  });
  cache.start();
  await cache.settled();
  return { clock, ca, holder, entries, cache, issued: () => issued };
}

Deno.test("the cache issues one SVID per entry and rotates it at half-life with the fake clock, each chaining to the bundle", async () => {
  const { clock, cache, issued } = await setup();
  const seen: string[] = [];
  cache.watch((s) => seen.push(s.svids.get("a")!.certificates[0].serialHex));
  const first = cache.snapshot().svids.get("a")!;
  assertEquals(first.rotateAt - first.issuedAt, HOUR / 2);
  for (let i = 0; i < 3; i++) {
    const cur = cache.snapshot().svids.get("a")!;
    await clock.advance(cur.rotateAt - clock.now() - 1);
    await cache.settled();
    assertEquals(
      cache.snapshot().svids.get("a")!.certificates[0].serialHex,
      cur.certificates[0].serialHex,
      "not before rotateAt",
    );
    await clock.advance(1);
    await cache.settled();
    const next = cache.snapshot().svids.get("a")!;
    assert(next.certificates[0].serialHex !== cur.certificates[0].serialHex);
    await verifySvidChain(
      next.certificates[0],
      next.certificates.slice(1),
      next.bundle.authorities,
      { clock, trustDomain: TD },
    );
  }
  assertEquals(issued(), 4);
  assertEquals(seen.length, 3);
  await cache.stop();
});

Deno.test("SVIDs are capped at the intermediate's NotAfter; when it expires unrenewed the cache is degraded, then serves the last SVID until it expires", async () => {
  const { clock, cache, holder } = await setup({
    intermediateTtl: 2 * HOUR,
    ttl: HOUR,
  });
  assertEquals(cache.health(), "ok");
  const inter = holder.current()!;
  // run until the intermediate's last hour: health degrades, SVIDs get cut short
  while (clock.now() < inter.cert.notAfter.getTime() - HOUR + 1000) {
    await clock.advance(60_000);
    await cache.settled();
  }
  assertEquals(cache.health(), "degraded");
  const svid = cache.snapshot().svids.get("a")!;
  assert(svid.notAfter <= inter.cert.notAfter.getTime());
  await clock.advance(inter.cert.notAfter.getTime() - clock.now() - 1);
  await cache.settled();
  assert(cache.snapshot().svids.has("a"), "still served before expiry");
  await clock.advance(1);
  await cache.settled();
  assertEquals(cache.health(), "expired");
  assertEquals(cache.snapshot().svids.size, 0, "expired SVIDs are dropped");
  // a renewed intermediate brings issuance back at once
  const { ca } = { ca: await createTestCa(TD, clock) };
  holder.set(await ca.intermediate(24 * HOUR));
  await cache.settled();
  assertEquals(cache.health(), "ok");
  assertEquals(cache.snapshot().svids.size, 1);
  await cache.stop();
});

Deno.test("a deleted entry's SVID disappears at the next update and a new entry gets one without restart", async () => {
  const { cache, entries } = await setup();
  const versions: number[] = [];
  cache.watch((s) => versions.push(s.version));
  entries.set([{ id: "b", spiffeId: `spiffe://${TD}/b` }]);
  await cache.settled();
  assertEquals([...cache.snapshot().svids.keys()], ["b"]);
  assert(versions.length >= 1);
  await cache.stop();
});

Deno.test("a failing issuance is retried with backoff and does not block other entries", async () => {
  const clock = new FakeClock();
  const ca = await createTestCa(TD, clock);
  const holder = createIntermediateHolder(await ca.intermediate());
  const entries = entrySource([
    { id: "bad", spiffeId: `spiffe://${TD}/bad` },
    { id: "good", spiffeId: `spiffe://${TD}/good` },
  ]);
  let badCalls = 0;
  const cache = new X509SvidCache({
    entries,
    intermediates: holder,
    clock,
    issue: (o) => {
      if (o.spiffeId.endsWith("/bad")) {
        badCalls++;
        return Promise.reject(new Error("boom"));
      }
      return issueX509Svid(o);
    },
  });
  cache.start();
  await cache.settled();
  assertEquals([...cache.snapshot().svids.keys()], ["good"]);
  assertEquals(badCalls, 1);
  await clock.advance(999);
  await cache.settled();
  assertEquals(badCalls, 1, "not before the 1 s backoff");
  await clock.advance(1);
  await cache.settled();
  assertEquals(badCalls, 2);
  await clock.advance(2000);
  await cache.settled();
  assertEquals(badCalls, 3, "then after 2 s");
  await cache.stop();
});
