import type { Command } from "../command.ts";
import { VERSION } from "../../version.ts";
import { ExitCode } from "../exit_codes.ts";

/** `edge-runtime version`: program, Deno and target versions. */
export const versionCommand: Command = {
  name: "version",
  summary:
    "print the version of edge-runtime and of the Deno runtime it runs on",
  usage: "edge-runtime version",
  description:
    "Prints one line: edge-runtime version, Deno version, target triple.",
  flags: {},
  run(_args, io) {
    io.stdout(
      `edge-runtime ${VERSION} (deno ${Deno.version.deno}, ${Deno.build.target})\n`,
    );
    return Promise.resolve(ExitCode.OK);
  },
};
