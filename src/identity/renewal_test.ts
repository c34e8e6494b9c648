import { assertEquals } from "../../tests/_fixtures/assert.ts";
import { backoffDelay, isExpired, renewalDeadline } from "./renewal.ts";

const cert = {
  notBefore: new Date(Date.UTC(2026, 0, 1)),
  notAfter: new Date(Date.UTC(2026, 0, 11)), // 10 days
};
const policy = {
  renewAfterMin: 0.7,
  renewAfterMax: 0.9,
  backoffInitial: 2000,
  backoffMax: 32000,
};
const fixed = (f: number) => ({ float: () => f });

Deno.test("renewalDeadline() is NotBefore + 70 % … 90 % of the lifetime, by the random draw", () => {
  const day = 86_400_000;
  assertEquals(
    renewalDeadline(cert, policy, fixed(0)),
    cert.notBefore.getTime() + 7 * day,
  );
  assertEquals(
    renewalDeadline(cert, policy, fixed(0.5)),
    cert.notBefore.getTime() + 8 * day,
  );
  assertEquals(
    renewalDeadline(cert, policy, fixed(0.999999)),
    cert.notBefore.getTime() + Math.floor(10 * day * (0.7 + 0.2 * 0.999999)),
  );
});

Deno.test("renewalDeadline() with min = max has no jitter", () => {
  const p = { ...policy, renewAfterMin: 0.5, renewAfterMax: 0.5 };
  assertEquals(
    renewalDeadline(cert, p, fixed(0.1)),
    renewalDeadline(cert, p, fixed(0.9)),
  );
});

Deno.test("backoffDelay() doubles from 2 s and stays at the cap", () => {
  assertEquals(
    [1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n, policy, fixed(0.5))),
    [2000, 4000, 8000, 16000, 32000, 32000, 32000],
  );
});

Deno.test("backoffDelay() jitters ±20 % but never above the cap", () => {
  assertEquals(backoffDelay(1, policy, fixed(0)), 1600);
  assertEquals(backoffDelay(1, policy, fixed(0.999999)), 2400);
  assertEquals(backoffDelay(9, policy, fixed(0.999999)), 32000);
  assertEquals(backoffDelay(9, policy, fixed(0)), 25600);
});

Deno.test("isExpired() is true from NotAfter on", () => {
  assertEquals(isExpired(cert, cert.notAfter.getTime() - 1), false);
  assertEquals(isExpired(cert, cert.notAfter.getTime()), true);
});
