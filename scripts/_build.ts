/**
 * Build facts shared by the compile task and the tests that check it: the
 * targets, and the runtime flags taken from the `cli` task (one source).
 * @module
 */

/** Targets we ship. Deno has no 32-bit ARM build. */
export const TARGETS = [
  { arch: "x86_64", triple: "x86_64-unknown-linux-gnu" },
  { arch: "aarch64", triple: "aarch64-unknown-linux-gnu" },
] as const;

/** The permission/unstable flags of the `cli` task in `<root>/deno.json`. */
export async function cliFlags(root: string): Promise<string[]> {
  const cfg = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const words = String(cfg.tasks.cli).split(/\s+/);
  const start = words.indexOf("run");
  const end = words.indexOf("src/main.ts");
  if (start < 0 || end < start) {
    throw new Error(
      'deno.json: the "cli" task must be "deno run <flags> src/main.ts"',
    );
  }
  return words.slice(start + 1, end);
}
