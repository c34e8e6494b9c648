/**
 * Entry point of the `edge-runtime` binary (`deno task cli` runs it with the
 * compiled binary's exact flags).
 * @module
 */
import { runCli } from "./cli/cli.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
