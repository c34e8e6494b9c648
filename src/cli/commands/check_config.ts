import type { Command } from "../command.ts";
import { CONFIG_FLAG, stringFlag } from "../command.ts";
import { EdgeError } from "../../errors.ts";
import { ExitCode } from "../exit_codes.ts";
import type { ConfigKind } from "../../config/mod.ts";

/** `edge-runtime check-config`: validate a config file, print OK or every error. */
export const checkConfigCommand: Command = {
  name: "check-config",
  summary: "validate a configuration file and print OK or every error found",
  usage: "edge-runtime check-config --config FILE [--kind edge|hub]",
  description: `
Parses FILE and checks it against the schema of its kind: the device runtime
("edge", config/edge.example.yaml) or the reference hub ("hub",
config/hub.example.yaml). The kind is detected from the top-level keys unless
--kind is given. All errors are reported at once, each naming the field path,
what was expected and what was found; unknown keys get a did-you-mean hint.
Prints "OK: FILE is a valid <kind> configuration" and exits 0, or prints the
errors and exits 2.

Example:
  edge-runtime check-config --config /etc/edge-runtime/edge.yaml`,
  flags: {
    config: CONFIG_FLAG,
    kind: {
      type: "string",
      value: "edge|hub",
      doc: "configuration kind (default: detect)",
    },
  },
  async run(args, io) {
    const path = stringFlag(args, "config") ?? args.positionals[0];
    if (!path) throw new EdgeError("USAGE", "missing --config FILE");
    const kind = stringFlag(args, "kind");
    if (kind !== undefined && kind !== "edge" && kind !== "hub") {
      throw new EdgeError(
        "USAGE",
        `--kind: expected "edge" or "hub", got "${kind}"`,
      );
    }
    const { checkConfigFile } = await import("../../config/mod.ts");
    const result = await checkConfigFile(path, {
      kind: kind as ConfigKind | undefined,
      stateDirOverride: stringFlag(args, "state-dir"),
    });
    if (result.ok) {
      io.stdout(`OK: ${path} is a valid ${result.kind} configuration\n`);
      return ExitCode.OK;
    }
    io.stderr(
      `${path}: ${result.errors.length} error${
        result.errors.length === 1 ? "" : "s"
      }` +
        (result.kind ? ` (checked as ${result.kind} configuration)` : "") +
        "\n" +
        result.errors.map((e) => `  ${e}\n`).join(""),
    );
    return ExitCode.USAGE;
  },
};
