import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { intermediateHealth, retryDelay, rotationTime } from "./schedule.ts";

Deno.test("rotationTime() is half-life at the middle of the jitter range and stays within ±10 %", () => {
  assertEquals(rotationTime(0, 3_600_000, 0.5), 1_800_000);
  assertEquals(rotationTime(0, 3_600_000, 0), 1_620_000);
  for (let i = 0; i < 1000; i++) {
    const t = rotationTime(1000, 1000 + 3_600_000, Math.random());
    assert(t >= 1000 + 1_620_000 && t <= 1000 + 1_980_000, String(t));
  }
});

Deno.test("intermediateHealth() is degraded when less than a quarter of the life (or one SVID TTL) is left, expired after NotAfter", () => {
  const w = { notBefore: 0, notAfter: 100_000 };
  assertEquals(intermediateHealth(undefined, 0, 10), "missing");
  assertEquals(intermediateHealth(w, 74_000, 10), "ok");
  assertEquals(intermediateHealth(w, 76_000, 10), "degraded");
  assertEquals(intermediateHealth(w, 40_000, 70_000), "degraded");
  assertEquals(intermediateHealth(w, 100_000, 10), "expired");
});

Deno.test("retryDelay() doubles from 1 s up to 30 s", () => {
  assertEquals([1, 2, 3, 6, 10].map(retryDelay), [
    1000,
    2000,
    4000,
    30000,
    30000,
  ]);
});
