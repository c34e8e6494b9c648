/**
 * The metric hooks of the real parts, on a fake clock: the identity
 * manager reports each renewal's result, the X509-SVID cache each issued
 * SVID (first issue and rotations), and the runtime metrics count them.
 */
import { assertEquals, assertStringIncludes } from "../_fixtures/assert.ts";
import { FakeClock } from "../_fixtures/clock.ts";
import { createTestCa } from "../workloadapi/_ca.ts";
import { tempStore, waitFor, withTempDir } from "../identity/_helpers.ts";
import { createSelfSignedCa, issueCertificate } from "../../src/pki/mod.ts";
import { EdgeError } from "../../src/errors.ts";
import { IdentityEvents } from "../../src/identity/events.ts";
import { IdentityManager } from "../../src/identity/scheduler.ts";
import { makeIdentity } from "../../src/identity/state.ts";
import type { Upstream } from "../../src/identity/upstream/upstream.ts";
import { staticTokenSource } from "../../src/identity/token_source.ts";
import { createIntermediateHolder, X509SvidCache } from "../../src/svid/mod.ts";
import {
  MetricsRegistry,
  registerRuntimeMetrics,
} from "../../src/metrics/mod.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const TOKEN = "a".repeat(64) +
  ".eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTl9.c2ln";

Deno.test("the identity manager reports each renewal as ok or failed, and enrollment not at all", async () => {
  await withTempDir(async (dir) => {
    const clock = new FakeClock();
    const ca = await createSelfSignedCa({
      subject: { CN: "test CA" },
      ttlMs: 3650 * DAY,
      clock,
    });
    let fail = false;
    const issue = async (keys: CryptoKeyPair) =>
      await makeIdentity(
        keys,
        [
          await issueCertificate({
            issuer: ca,
            subjectPublicKey: keys.publicKey,
            profile: "leaf",
            subject: { CN: "system:node:pi-1" },
            ttlMs: 10 * DAY,
            clock,
          }),
        ],
        [ca.cert],
        "hub",
      );
    const upstream: Upstream = {
      kind: "hub",
      endpoint: "https://hub.test",
      needsJoinToken: true,
      enroll: (req) => issue(req.keys),
      renew: (req) => {
        if (fail) {
          throw new EdgeError("UPSTREAM_UNREACHABLE", "hub unreachable");
        }
        return issue(req.keys);
      },
    };
    const registry = new MetricsRegistry();
    const hooks = registerRuntimeMetrics(registry, {
      identity: () => manager.status(),
    });
    const results: string[] = [];
    const manager = new IdentityManager({
      nodeName: "pi-1",
      trustDomain: "example.org",
      store: await tempStore(dir),
      upstream,
      events: new IdentityEvents(),
      tokens: staticTokenSource(TOKEN),
      policy: {
        renewAfterMin: 0.8,
        renewAfterMax: 0.8,
        backoffInitial: 2000,
        backoffMax: 32000,
      },
      clock,
      random: { float: () => 0.5, bytes: (n) => new Uint8Array(n) },
      maxSleepMs: 365 * DAY,
      onRenewal: (r) => {
        results.push(r);
        hooks.onRenewal(r);
      },
    });
    const ac = new AbortController();
    await manager.start(ac.signal);
    assertEquals(results, []);
    const running = manager.run(ac.signal);
    const due = () => Date.parse(manager.status().nextRenewal!);
    await clock.advance(due() - clock.now());
    await waitFor(() => results.length === 1, "the first renewal");
    fail = true;
    await clock.advance(due() - clock.now());
    await waitFor(() => results.length === 2, "the failed renewal");
    fail = false;
    await clock.advance(due() - clock.now()); // the retry after backoff
    await waitFor(() => results.length === 3, "the retry");
    assertEquals(results, ["ok", "failed", "ok"]);
    const text = registry.render();
    assertStringIncludes(text, 'edge_runtime_renewals_total{result="ok"} 2\n');
    assertStringIncludes(
      text,
      'edge_runtime_renewals_total{result="failed"} 1\n',
    );
    ac.abort();
    await running;
  });
});

Deno.test("the X509-SVID cache reports the first issue and every rotation", async () => {
  const clock = new FakeClock();
  const ca = await createTestCa("example.org", clock);
  const registry = new MetricsRegistry();
  const hooks = registerRuntimeMetrics(registry, {
    identity: () => ({
      node: "n",
      spiffeId: "spiffe://example.org/n",
      phase: "valid",
      failures: 0,
      upstream: { kind: "hub", endpoint: "x" },
    }),
  });
  const cache = new X509SvidCache({
    entries: {
      list: () => [{ id: "a", spiffeId: "spiffe://example.org/a" }],
      watch: () => () => {},
    },
    intermediates: createIntermediateHolder(await ca.intermediate(24 * HOUR)),
    defaultTtlMs: HOUR,
    clock,
    onIssued: hooks.onSvidIssued,
  });
  cache.start();
  try {
    await cache.settled();
    for (let i = 0; i < 2; i++) {
      await clock.advance(
        cache.snapshot().svids.get("a")!.rotateAt - clock.now(),
      );
      await cache.settled();
    }
    assertStringIncludes(
      registry.render(),
      "\nedge_runtime_svids_issued_total 3\n",
    );
  } finally {
    await cache.stop();
  }
});
