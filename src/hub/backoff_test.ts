import { assert, assertEquals } from "../../tests/_fixtures/assert.ts";
import { secureRandom } from "../random.ts";
import {
  fullJitterDelay,
  reconnectCeiling,
  reconnectDelay,
} from "./backoff.ts";

const policy = { baseMs: 1000, capMs: 60_000 };
const fixed = (f: number) => ({ ...secureRandom, float: () => f });

Deno.test("reconnectCeiling() doubles with the outage: 1 s for the first second, 2 s for the next two, 4 s for the next four, up to the cap", () => {
  assertEquals(
    [0, 999, 1000, 2999, 3000, 6999, 7000, 14_999, 15_000, 3_600_000].map(
      (ms) => reconnectCeiling(ms, policy),
    ),
    [1000, 1000, 2000, 2000, 4000, 4000, 8000, 8000, 16_000, 60_000],
  );
});

Deno.test("reconnectDelay() is uniform below the ceiling (full jitter)", () => {
  assertEquals(reconnectDelay(0, policy, fixed(0)), 0);
  assertEquals(reconnectDelay(0, policy, fixed(0.5)), 500);
  assertEquals(reconnectDelay(2500, policy, fixed(0.999999)), 1999);
  assertEquals(reconnectDelay(1e9, policy, fixed(0.999999)), 59_999);
});

Deno.test("a hub back within 3 s is retried within 2 s of listening, however many attempts were refused before", () => {
  // Refusals come at once (a closed TCP port): simulate the worst case, a
  // wait always just below its ceiling, and attempts that fail instantly.
  for (const f of [0, 0.01, 0.5, 0.999999]) {
    for (let listenAt = 0; listenAt < 3000; listenAt += 37) {
      let t = 0;
      while (t < listenAt) t += reconnectDelay(t, policy, fixed(f)) || 1;
      assert(t - listenAt <= 2000, `f=${f}, listening at ${listenAt}: ${t}`);
    }
  }
});

Deno.test("fullJitterDelay() keeps the per-attempt form: ceiling base × 2ⁿ, capped", () => {
  assertEquals(
    [0, 1, 2, 6, 7, 40].map((n) => fullJitterDelay(n, policy, fixed(0.5))),
    [500, 1000, 2000, 30_000, 30_000, 30_000],
  );
});
