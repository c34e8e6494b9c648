import assert from "node:assert/strict";
import {
  DurationSyntaxError,
  formatDuration,
  parseDuration,
} from "./duration.ts";

Deno.test("parseDuration() reads single and compound durations in milliseconds", () => {
  const cases: [string, number][] = [
    ["500ms", 500],
    ["90s", 90_000],
    ["0s", 0],
    ["1h30m", 5_400_000],
    ["7d", 7 * 86_400_000],
    ["2w", 14 * 86_400_000],
    ["1.5h", 5_400_000],
    ["1.1s", 1_100],
    ["0.001s", 1],
    ["2.5d", 216_000_000],
    ["1h0m1s", 3_601_000],
    ["1d2h3m4s5ms", 86_400_000 + 7_200_000 + 180_000 + 4_000 + 5],
    ["3650d", 3650 * 86_400_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

Deno.test("parseDuration() rejects malformed text with a reason", () => {
  const cases: [string, RegExp][] = [
    ["", /cannot be empty/],
    ["10", /missing unit/],
    ["0", /missing unit/],
    ["1x", /unknown unit "x"/],
    ["-5s", /sign/],
    ["+5s", /sign/],
    ["5 s", /unexpected/],
    [" 5s", /unexpected/],
    ["5s ", /unexpected/],
    ["1m1h", /largest to smallest/],
    ["1h1h", /largest to smallest/],
    ["1H", /unknown unit "H"/],
    ["h", /unexpected/],
    ["0.5ms", /whole number of milliseconds/],
    ["9999999999999w", /too large/],
    [".5s", /unexpected/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(() => parseDuration(text), (e: unknown) => {
      assert.ok(e instanceof DurationSyntaxError, `${text}: ${e}`);
      assert.ok(e instanceof SyntaxError);
      assert.match(e.reason, reason, text);
      assert.ok(e.message.startsWith(`duration ${JSON.stringify(text)}: `));
      return true;
    });
  }
});

Deno.test("formatDuration() writes the shortest form and round-trips", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(500), "500ms");
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(5_400_000), "1h30m");
  assert.equal(formatDuration(7 * 86_400_000), "7d");
  assert.equal(formatDuration(86_400_000 + 1), "1d1ms");
  for (
    const ms of [
      1,
      999,
      1000,
      61_001,
      3_600_000,
      123_456_789,
      3650 * 86_400_000,
    ]
  ) {
    assert.equal(parseDuration(formatDuration(ms)), ms);
  }
});

Deno.test("formatDuration() rejects negative and fractional input", () => {
  assert.throws(() => formatDuration(-1), RangeError);
  assert.throws(() => formatDuration(1.5), RangeError);
  assert.throws(() => formatDuration(NaN), RangeError);
});
