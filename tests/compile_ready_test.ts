/**
 * The single binary without denort: the program runs from a copy of the repo
 * with the compiled binary's exact flags in a sandbox (scripts/compile-check.sh),
 * and `deno task compile` explains DENORT_BIN when it cannot get denort.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "./_fixtures/assert.ts";
import { cliFlags } from "../scripts/_build.ts";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("the program runs the end-to-end demo from a copy outside the source tree with the cli task's exact flags, loopback only, writing only its state dir", async () => {
  const out = await new Deno.Command("bash", {
    args: [`${root}/scripts/compile-check.sh`],
    env: { DENO: Deno.execPath(), NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text);

  const copy = text.match(/copied \d+ files to (\S+)/)?.[1];
  assert(copy, "the script names its copy");
  assert(!copy.startsWith(`${root}/`), `the copy ${copy} is inside ${root}`);
  assertStringIncludes(
    text,
    `flags of the cli task: ${(await cliFlags(root)).join(" ")}\n`,
  );
  assertStringIncludes(text, "source tree hidden; network: lo only");
  assertStringIncludes(text, "edge-runtime 0.1.0 (deno ");
  for (
    const step of [
      "SPIFFE_ENDPOINT_SOCKET=unix:///",
      "chain leaf → node intermediate → hub CA verified",
      "ES256 JWT for spiffe://example.org/workload/demo",
      "rotated while the hub was down",
      "demo finished in ",
    ]
  ) assertStringIncludes(text, step);
  // The demo's state lived in the sandbox's only writable dir, under the copy's temp dir.
  assertStringIncludes(
    text,
    `everything lives in ${copy.replace(/\/repo$/, "/rw/")}`,
  );
  assert(
    await Deno.stat(copy).then(() => false, () => true),
    `${copy} was left behind`,
  );
});

Deno.test("deno task compile without a reachable denort exits 1 and tells the user to set DENORT_BIN", async () => {
  // No network at all (a fresh network namespace), so the denort download
  // fails the same way on every machine; DENORT_BIN is unset.
  const env = Deno.env.toObject();
  delete env.DENORT_BIN;
  const hadDist = await Deno.stat(`${root}/dist`).then(() => true, () => false);
  const out = await new Deno.Command("unshare", {
    args: [
      "--net",
      Deno.execPath(),
      "task",
      "--quiet",
      "compile",
      "--target",
      "aarch64",
    ],
    cwd: root,
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  if (!hadDist) await Deno.remove(`${root}/dist`).catch(() => {});
  assertEquals(out.code, 1, err);
  assertStringIncludes(
    err,
    "could not get the denort base binary for aarch64-unknown-linux-gnu",
  );
  assertStringIncludes(err, "set DENORT_BIN=/path/to/denort");
  assertStringIncludes(err, "DENORT_BIN=… deno task compile --target aarch64");
  assert(
    await Deno.stat(`${root}/dist/edge-runtime-aarch64-linux`).then(
      () => false,
      () => true,
    ),
    "a binary was written anyway",
  );
});
