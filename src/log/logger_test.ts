import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../../tests/_fixtures/assert.ts";
import { FakeClock } from "../../tests/_fixtures/clock.ts";
import { createLogger } from "./logger.ts";

function capture(
  level: "debug" | "info" | "warn" | "error" = "debug",
  format: "json" | "text" = "json",
) {
  const lines: string[] = [];
  const log = createLogger({
    level,
    format,
    write: (l) => lines.push(l),
    clock: new FakeClock(0),
  });
  return { log, lines };
}

// Material that must never reach a log line.
const PKCS8 =
  "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRETSECRETSECRET\n-----END PRIVATE KEY-----";
const SEC1 =
  "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIASECRETSECRETSECRETSECRET\n-----END EC PRIVATE KEY-----";
const JWT =
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwaS0wMSIsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJlc2VjcmV0";
const JOIN = "a".repeat(64) + "." + JWT;
const PASSWORD = "hunter2-correct-horse";
const VAULT = "hvs.CAESIJlU7secretsecretsecretsecret";

Deno.test("logger writes JSON lines with time, level, message and fields", () => {
  const { log, lines } = capture();
  log.child({ component: "store" }).info("state saved", { unit: "identity" });
  assertEquals(JSON.parse(lines[0]), {
    time: "1970-01-01T00:00:00.000Z",
    level: "info",
    msg: "state saved",
    component: "store",
    unit: "identity",
  });
});

Deno.test("logger drops lines below the configured level", () => {
  const { log, lines } = capture("warn");
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  assertEquals(lines.map((l) => JSON.parse(l).level), ["warn", "error"]);
});

Deno.test("text format is one readable line with key=value fields", () => {
  const { log, lines } = capture("info", "text");
  log.info("renewed", { serial: "ab12" });
  assertEquals(lines[0], "00:00:00.000 INFO  renewed  serial=ab12");
});

Deno.test("private keys, tokens and passwords never appear in logs", () => {
  for (const format of ["json", "text"] as const) {
    const { log, lines } = capture("debug", format);
    // As secret-named fields…
    log.info("bootstrap", {
      token: JOIN,
      password: PASSWORD,
      privateKey: PKCS8,
      keyPem: SEC1,
      nested: {
        vaultToken: VAULT,
        secret: PASSWORD,
        authorization: `Bearer ${JWT}`,
      },
      bytes: new TextEncoder().encode(PKCS8),
    });
    // …inside innocent-looking fields and messages…
    log.warn(`request failed: Authorization: Bearer ${JWT}`, {
      body: `key was ${SEC1}`,
    });
    log.error(`bad token ${JOIN}`, {
      detail: `pkcs8 ${PKCS8}`,
      list: [JWT, VAULT],
    });
    // …and inside errors.
    log.error("upstream error", {
      err: new Error(`vault said ${VAULT} is invalid`),
    });
    const all = lines.join("\n");
    for (
      const secret of [
        PASSWORD,
        "SECRETSECRET",
        JWT,
        "c2lnbmF0dXJlc2VjcmV0",
        VAULT,
        "CAESIJlU7",
      ]
    ) {
      assert(!all.includes(secret), `${format} log leaked ${secret}:\n${all}`);
    }
    assertStringIncludes(all, "REDACTED");
  }
});

Deno.test("non-secret fields are kept as they are", () => {
  const { log, lines } = capture();
  log.info("issued", {
    serial: "0a1b",
    node: "pi-01",
    keyUsage: "digitalSignature",
    tokenCount: 0,
  });
  const line = JSON.parse(lines[0]);
  assertEquals(line.serial, "0a1b");
  assertEquals(line.node, "pi-01");
  assertEquals(line.keyUsage, "digitalSignature");
});
