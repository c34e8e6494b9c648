/**
 * Run the `edge-runtime` program as a separate process exactly as the `cli`
 * task (and so the compiled binary) runs it.
 * @module
 */
import { cliFlags } from "../../scripts/_build.ts";

/** The repository root. */
export const ROOT: string = new URL("../..", import.meta.url).pathname;

/** Outcome of {@link runBinary}. */
export interface BinaryResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `src/main.ts args…` with the binary's flags, from the repo root. */
export async function runBinary(...args: string[]): Promise<BinaryResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...await cliFlags(ROOT), "src/main.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Start `src/main.ts args…` with the binary's flags; output is piped. */
export function spawnBinary(...args: string[]): Deno.ChildProcess {
  const cfg = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  const words = String(cfg.tasks.cli).split(/\s+/);
  const flags = words.slice(
    words.indexOf("run") + 1,
    words.indexOf("src/main.ts"),
  );
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...flags, "src/main.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}
