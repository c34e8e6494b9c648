/**
 * `deno task compile`: builds the single binaries
 * `dist/edge-runtime-x86_64-linux` and `dist/edge-runtime-aarch64-linux`.
 *
 * The permission and unstable flags are read from the `cli` task in
 * deno.json, so the binary runs with exactly what `deno task cli` runs with.
 * `deno compile` links onto Deno's `denort` base binary, which it downloads;
 * where that download is impossible set `DENORT_BIN` to a denort file for the
 * target (from the `denort-<target>.zip` release asset).
 *
 * Usage: deno task compile [--target x86_64|aarch64]
 * @module
 */
import { cliFlags, TARGETS } from "./_build.ts";

const root = new URL("..", import.meta.url).pathname;
const only = Deno.args[0] === "--target" ? Deno.args[1] : undefined;
const targets = TARGETS.filter((t) => !only || t.arch === only);
if (targets.length === 0) {
  console.error(
    `compile: unknown --target "${only}"; expected x86_64 or aarch64`,
  );
  Deno.exit(2);
}

const flags = await cliFlags(root);
let failed = 0;
for (const t of targets) {
  const output = `dist/edge-runtime-${t.arch}-linux`;
  const args = [
    "compile",
    ...flags,
    "--include",
    "config/",
    "--include",
    "src/workloadapi/proto/",
    "--target",
    t.triple,
    "--output",
    output,
    "src/main.ts",
  ];
  console.error(`compile: ${output} (${t.triple}) with ${flags.join(" ")}`);
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stderr: "piped",
  })
    .output();
  const err = new TextDecoder().decode(out.stderr);
  if (out.success) {
    console.error(
      `compile: wrote ${output} in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
    );
    continue;
  }
  failed++;
  console.error(err.trimEnd());
  if (
    /denort|download|dl\.deno\.land|Failed to fetch|error sending request/i
      .test(err)
  ) {
    console.error(
      `compile: could not get the denort base binary for ${t.triple}. This machine cannot ` +
        `download it; set DENORT_BIN=/path/to/denort (unpacked from denort-${t.triple}.zip of ` +
        `Deno ${Deno.version.deno}) and run again, one target at a time: ` +
        `DENORT_BIN=… deno task compile --target ${t.arch}`,
    );
  }
}
Deno.exit(failed ? 1 : 0);
