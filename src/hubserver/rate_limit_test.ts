import { assertEquals } from "../../tests/_fixtures/assert.ts";
import { FakeClock } from "../../tests/_fixtures/clock.ts";
import { createRateLimiter } from "./rate_limit.ts";

Deno.test("createRateLimiter() allows a burst of perMinute, then refuses with Retry-After", () => {
  const clock = new FakeClock();
  const limiter = createRateLimiter({ perMinute: 3, clock });
  for (let i = 0; i < 3; i++) assertEquals(limiter.take("a"), { ok: true });
  assertEquals(limiter.take("a"), { ok: false, retryAfterSeconds: 20 });
});

Deno.test("createRateLimiter() refills continuously with time", async () => {
  const clock = new FakeClock();
  const limiter = createRateLimiter({ perMinute: 60, burst: 1, clock });
  assertEquals(limiter.take("a").ok, true);
  assertEquals(limiter.take("a"), { ok: false, retryAfterSeconds: 1 });
  await clock.advance(1000);
  assertEquals(limiter.take("a").ok, true);
});

Deno.test("createRateLimiter() keeps one bucket per key", () => {
  const clock = new FakeClock();
  const limiter = createRateLimiter({ perMinute: 1, clock });
  assertEquals(limiter.take("a").ok, true);
  assertEquals(limiter.take("a").ok, false);
  assertEquals(limiter.take("b").ok, true);
});

Deno.test("createRateLimiter() with perMinute 0 never refuses", () => {
  const limiter = createRateLimiter({ perMinute: 0 });
  for (let i = 0; i < 1000; i++) assertEquals(limiter.take("a").ok, true);
});

Deno.test("createRateLimiter() bounds memory by dropping idle buckets first", async () => {
  const clock = new FakeClock();
  const limiter = createRateLimiter({ perMinute: 1, clock, maxKeys: 2 });
  limiter.take("a");
  limiter.take("b");
  await clock.advance(60_000); // a and b are full again (idle)
  limiter.take("c");
  // "a" was dropped as idle, so it starts with a fresh bucket
  assertEquals(limiter.take("a").ok, true);
});
