/**
 * The renewal scheduler on a fake clock with an in-memory upstream (a test
 * CA): renewal at the jittered deadline, exponential backoff logged once per
 * state change, expiry while offline, recovery by a new join token, the
 * old identity kept, one event per change.
 */
import { assert, assertEquals } from "../_fixtures/assert.ts";
import { FakeClock } from "../_fixtures/clock.ts";
import {
  createSelfSignedCa,
  generateKeyPair,
  issueCertificate,
} from "../../src/pki/mod.ts";
import { createLogger } from "../../src/log/mod.ts";
import { EdgeError } from "../../src/errors.ts";
import { IdentityEvents } from "../../src/identity/events.ts";
import { IdentityManager } from "../../src/identity/scheduler.ts";
import {
  loadIdentity,
  makeIdentity,
  type NodeIdentity,
} from "../../src/identity/state.ts";
import type { TokenSource } from "../../src/identity/token_source.ts";
import { parseJoinToken } from "../../src/identity/token.ts";
import type { Upstream } from "../../src/identity/upstream/upstream.ts";
import { rejectsWith, tempStore, waitFor, withTempDir } from "./_helpers.ts";

const DAY = 86_400_000;
const TOKEN = "a".repeat(64) +
  ".eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTl9.c2ln";
const TOKEN2 = "a".repeat(64) +
  ".eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTh9.c2ln";

/** An upstream backed by a test CA; `fail` makes the next calls throw. */
async function fakeUpstream(clock: FakeClock, ttlMs = 10 * DAY) {
  const ca = await createSelfSignedCa({
    subject: { CN: "test CA" },
    ttlMs: 3650 * DAY,
    clock,
  });
  const calls = { enroll: 0, renew: 0, tokens: [] as string[] };
  let fail: EdgeError | undefined;
  let failEnroll: EdgeError | undefined;
  const issue = async (keys: CryptoKeyPair): Promise<NodeIdentity> => {
    const cert = await issueCertificate({
      issuer: ca,
      subjectPublicKey: keys.publicKey,
      profile: "leaf",
      subject: { CN: "system:node:pi-1", O: "system:nodes" },
      ttlMs,
      clock,
    });
    return await makeIdentity(keys, [cert], [ca.cert], "hub");
  };
  const upstream: Upstream = {
    kind: "hub",
    endpoint: "https://hub.test",
    needsJoinToken: true,
    async enroll(req) {
      calls.enroll++;
      calls.tokens.push(req.token!.jwt);
      if (failEnroll) throw failEnroll;
      return await issue(req.keys);
    },
    async renew(req) {
      calls.renew++;
      if (fail) throw fail;
      return await issue(req.keys);
    },
  };
  return {
    upstream,
    calls,
    /** Make renewals fail (or succeed again with `undefined`). */
    setFail: (e?: EdgeError) => fail = e,
    /** Make enrollments fail. */
    setEnrollFail: (e?: EdgeError) => failEnroll = e,
  };
}

function memoryTokens(initial?: string) {
  let text = initial;
  let wake: (() => void) | undefined;
  const used = { consumed: 0 };
  const source: TokenSource = {
    description: 'token file "/test/token"',
    canChange: true,
    read: async () =>
      text === undefined ? undefined : await parseJoinToken(text),
    changed: (signal) =>
      new Promise((resolve, reject) => {
        wake = resolve;
        signal.addEventListener("abort", () => reject(signal.reason), {
          once: true,
        });
      }),
    consumed: () => (used.consumed++, Promise.resolve()),
  };
  return { source, used, set: (t: string) => (text = t, wake?.()) };
}

async function setup(
  dir: string,
  opts: { token?: string; ttlMs?: number } = {},
) {
  const clock = new FakeClock();
  const store = await tempStore(dir);
  const up = await fakeUpstream(clock, opts.ttlMs);
  const tokens = memoryTokens(opts.token ?? TOKEN);
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    format: "json",
    level: "debug",
    clock,
    write: (l) => lines.push(JSON.parse(l)),
  });
  const events = new IdentityEvents(logger);
  const published: NodeIdentity[] = [];
  events.watch((id) => void published.push(id));
  const manager = new IdentityManager({
    nodeName: "pi-1",
    trustDomain: "example.org",
    store,
    upstream: up.upstream,
    events,
    tokens: tokens.source,
    policy: {
      renewAfterMin: 0.7,
      renewAfterMax: 0.9,
      backoffInitial: 2000,
      backoffMax: 32000,
    },
    clock,
    random: { float: () => 0.5, bytes: (n) => new Uint8Array(n) },
    logger,
    maxSleepMs: 365 * DAY,
  });
  return { clock, store, up, tokens, lines, events, published, manager };
}

Deno.test("the first start enrolls with the token, stores the unit and publishes one identity event", async () => {
  await withTempDir(async (dir) => {
    const t = await setup(dir);
    const ac = new AbortController();
    const id = await t.manager.start(ac.signal);
    assertEquals(t.up.calls.enroll, 1);
    // The token source is told once (a token file is wiped when configured).
    assertEquals(t.tokens.used.consumed, 1);
    assertEquals(t.published.length, 1);
    assertEquals(
      (await loadIdentity(t.store))!.leaf.serialHex,
      id.leaf.serialHex,
    );
    assertEquals(t.manager.status().phase, "valid");
  });
});

Deno.test("a restart loads the stored identity instead of enrolling again", async () => {
  await withTempDir(async (dir) => {
    const first = await setup(dir);
    const id = await first.manager.start(new AbortController().signal);
    const second = await setup(dir);
    const again = await second.manager.start(new AbortController().signal);
    assertEquals(again.leaf.serialHex, id.leaf.serialHex);
    assertEquals(second.up.calls.enroll, 0);
  });
});

Deno.test("renewal happens at NotBefore + the jittered fraction of the lifetime, not before", async () => {
  await withTempDir(async (dir) => {
    const t = await setup(dir);
    const ac = new AbortController();
    const id = await t.manager.start(ac.signal);
    const running = t.manager.run(ac.signal);
    const life = id.leaf.notAfter.getTime() - id.leaf.notBefore.getTime();
    const due = id.leaf.notBefore.getTime() + Math.floor(life * 0.8); // random 0.5 → 80 %
    assertEquals(t.manager.status().nextRenewal, new Date(due).toISOString());
    await t.clock.advance(due - t.clock.now() - 1);
    assertEquals(t.up.calls.renew, 0);
    await t.clock.advance(1);
    await waitFor(() => t.published.length === 2, "the renewal event");
    assertEquals(t.up.calls.renew, 1);
    const stored = await loadIdentity(t.store);
    assertEquals(stored!.leaf.serialHex, t.published[1].leaf.serialHex);
    ac.abort();
    await running;
  });
});

Deno.test("failed renewals back off 2 s doubling to the cap and log once per state change", async () => {
  await withTempDir(async (dir) => {
    const t = await setup(dir);
    const ac = new AbortController();
    const id = await t.manager.start(ac.signal);
    const running = t.manager.run(ac.signal);
    t.up.setFail(
      new EdgeError(
        "UPSTREAM_UNREACHABLE",
        "hub at https://hub.test is unreachable: ECONNREFUSED",
      ),
    );
    const due = Date.parse(t.manager.status().nextRenewal!);
    await t.clock.advance(due - t.clock.now());
    const gaps: number[] = [];
    for (let i = 0; i < 7; i++) {
      await waitFor(() => t.manager.status().failures === i + 1, "a failure");
      const next = Date.parse(t.manager.status().nextRenewal!);
      gaps.push(next - t.clock.now());
      await t.clock.advance(next - t.clock.now());
    }
    assertEquals(gaps, [2000, 4000, 8000, 16000, 32000, 32000, 32000]);
    // The last advance started attempt 8; let it fail before looking at the
    // phase (it is "renewing" while the attempt runs).
    await waitFor(() => t.manager.status().failures === 8, "attempt 8");
    const warnings = t.lines.filter((l) => l.level === "warn");
    assertEquals(warnings.length, 1, JSON.stringify(warnings));
    assertEquals(t.manager.status().phase, "retrying");
    assertEquals(t.manager.status().upstream.reachable, false);
    // The old identity is still the stored one.
    assertEquals(
      (await loadIdentity(t.store))!.leaf.serialHex,
      id.leaf.serialHex,
    );
    t.up.setFail(undefined);
    await t.clock.advance(
      Date.parse(t.manager.status().nextRenewal!) - t.clock.now(),
    );
    await waitFor(
      () => t.published.length === 2,
      "the renewal after the outage",
    );
    assertEquals(t.manager.status().failures, 0);
    assertEquals(t.manager.status().phase, "valid");
    ac.abort();
    await running;
  });
});

Deno.test("a certificate that expires while the hub refuses needs re-bootstrap, then a new token file recovers it", async () => {
  await withTempDir(async (dir) => {
    const t = await setup(dir, { ttlMs: 60_000 });
    const ac = new AbortController();
    const old = await t.manager.start(ac.signal);
    const running = t.manager.run(ac.signal);
    t.up.setFail(
      new EdgeError(
        "UPSTREAM_REFUSED",
        "hub renewal (GET /edge.crt) failed with HTTP 401: x509: certificate has expired",
      ),
    );
    await t.clock.advance(old.leaf.notAfter.getTime() - t.clock.now() + 1);
    await waitFor(
      () => t.manager.status().phase === "needs-rebootstrap",
      "needs-rebootstrap",
    );
    // The same token as before is not retried; the identity stays.
    assertEquals(t.up.calls.enroll, 1);
    assertEquals(
      (await loadIdentity(t.store))!.leaf.serialHex,
      old.leaf.serialHex,
    );
    assert(t.lines.some((l) => String(l.msg).includes("needs re-bootstrap")));
    t.tokens.set(TOKEN2); // the watcher wakes the loop before the backoff ends
    await waitFor(() => t.published.length === 2, "re-enrollment");
    assertEquals(t.up.calls.enroll, 2);
    assertEquals(t.manager.status().phase, "valid");
    ac.abort();
    await running;
  });
});

Deno.test("an expired certificate is first offered for renewal (the hub may grant grace)", async () => {
  await withTempDir(async (dir) => {
    const t = await setup(dir, { ttlMs: 60_000 });
    const ac = new AbortController();
    const old = await t.manager.start(ac.signal);
    const running = t.manager.run(ac.signal);
    t.up.setFail(new EdgeError("UPSTREAM_UNREACHABLE", "down"));
    await t.clock.advance(old.leaf.notAfter.getTime() - t.clock.now() + 1);
    await waitFor(() => t.manager.status().phase === "expired", "expired");
    t.up.setFail(undefined);
    await t.clock.advance(40_000);
    await waitFor(() => t.published.length === 2, "renewal after expiry");
    assertEquals(t.up.calls.enroll, 1);
    ac.abort();
    await running;
  });
});

Deno.test("enrollment waits for a missing token file and retries an unreachable hub, but stops on a refusal", async () => {
  await withTempDir(async (dir) => {
    const t = await setup(dir);
    t.tokens.set(undefined as unknown as string);
    const ac = new AbortController();
    t.up.setEnrollFail(new EdgeError("UPSTREAM_UNREACHABLE", "down"));
    const started = t.manager.start(ac.signal);
    const outcome = started.then(() => undefined, (e: unknown) => e);
    await waitFor(
      () => t.manager.status().phase === "waiting-for-token",
      "waiting-for-token",
    );
    t.tokens.set(TOKEN);
    await waitFor(() => t.up.calls.enroll === 1, "the first attempt");
    await t.clock.advance(2000);
    await waitFor(() => t.up.calls.enroll === 2, "a retry");
    t.up.setEnrollFail(
      new EdgeError(
        "UPSTREAM_REFUSED",
        "hub enrollment failed with HTTP 401: token validation failure",
      ),
    );
    await t.clock.advance(4000);
    await rejectsWith(async () => {
      throw await outcome;
    }, "UPSTREAM_REFUSED");
    assertEquals(await loadIdentity(t.store), undefined);
  });
});

Deno.test("without identity and without any token source the start fails naming the config fields", async () => {
  await withTempDir(async (dir) => {
    const clock = new FakeClock();
    const up = await fakeUpstream(clock);
    const manager = new IdentityManager({
      nodeName: "pi-1",
      trustDomain: "example.org",
      store: await tempStore(dir),
      upstream: up.upstream,
      events: new IdentityEvents(),
      policy: {
        renewAfterMin: 0.7,
        renewAfterMax: 0.9,
        backoffInitial: 2000,
        backoffMax: 32000,
      },
      clock,
    });
    const err = await rejectsWith(
      () => manager.start(new AbortController().signal),
      "IDENTITY_MISSING",
    );
    assert(err.message.includes("identity.tokenFile"));
  });
});

Deno.test("a watcher that subscribes late gets the current identity, and unsubscribing stops events", async () => {
  const events = new IdentityEvents();
  const clock = new FakeClock();
  const up = await fakeUpstream(clock);
  const id = await up.upstream.renew({
    keys: await generateKeyPair(),
    current: undefined as never,
  });
  await events.publish(id);
  const seen: string[] = [];
  const stop = events.watch((x) => void seen.push(x.leaf.serialHex));
  await Promise.resolve();
  assertEquals(seen, [id.leaf.serialHex]);
  stop();
  await events.publish(id);
  assertEquals(seen.length, 1);
});
