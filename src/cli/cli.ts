/**
 * `edge-runtime` command dispatch: picks the command, parses its flags,
 * prints help, maps errors to exit codes. `edge-runtime --config FILE` with
 * no command means `run`.
 * @module
 */
import { formatFlags, parseArgs } from "./args.ts";
import type { CliIo, Command } from "./command.ts";
import { COMMON_FLAGS } from "./command.ts";
import { EXIT_CODES_HELP, ExitCode, exitCodeFor } from "./exit_codes.ts";
import { COMMANDS } from "./commands/mod.ts";
import { isEdgeError } from "../errors.ts";
import { redactString } from "../log/redact.ts";

const DEFAULT_COMMAND = "run";

/** Standard process I/O. */
export const processIo: CliIo = {
  stdout: (t) => Deno.stdout.writeSync(new TextEncoder().encode(t)),
  stderr: (t) => Deno.stderr.writeSync(new TextEncoder().encode(t)),
};

/** Top-level help text. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `edge-runtime — identity and a secure cloud link for edge devices

Usage:
  edge-runtime [run] --config FILE [flags]   run the device runtime
  edge-runtime COMMAND [flags]
  edge-runtime COMMAND --help               help for one command

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

${EXIT_CODES_HELP}
`;
}

/** Help text of one command. */
export function commandHelp(cmd: Command): string {
  return `${cmd.summary}

Usage:
  ${cmd.usage.split("\n").join("\n  ")}

${cmd.description.trim()}

Flags:
${formatFlags({ ...cmd.flags, ...COMMON_FLAGS })}

${EXIT_CODES_HELP}
`;
}

/** Run the CLI with `argv` (without the program name); returns the exit code. */
export async function runCli(
  argv: readonly string[],
  io: CliIo = processIo,
): Promise<number> {
  // `deno task cli -- version` passes the separator through: skip it.
  if (argv[0] === "--") return runCli(argv.slice(1), io);
  const first = argv[0];
  if (
    first === undefined || first === "help" || first === "--help" ||
    first === "-h"
  ) {
    io.stdout(mainHelp());
    return first === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  if (first === "--version") return runCli(["version"], io);
  const named = COMMANDS.find((c) => c.name === first);
  if (!named && !first.startsWith("-")) {
    io.stderr(`edge-runtime: unknown command "${first}"\n\n${mainHelp()}`);
    return ExitCode.USAGE;
  }
  const cmd = named ?? COMMANDS.find((c) => c.name === DEFAULT_COMMAND)!;
  const rest = named ? argv.slice(1) : argv;
  try {
    const args = parseArgs(rest, { ...cmd.flags, ...COMMON_FLAGS });
    if (args.flags.help) {
      io.stdout(commandHelp(cmd));
      return ExitCode.OK;
    }
    return await cmd.run(args, io);
  } catch (err) {
    const code = exitCodeFor(err);
    const msg = err instanceof Error ? err.message : String(err);
    io.stderr(`edge-runtime ${cmd.name}: ${redactString(msg)}\n`);
    if (isEdgeError(err, "USAGE")) {
      io.stderr(
        `\nUsage:\n  ${cmd.usage.split("\n").join("\n  ")}\n` +
          `Run "edge-runtime ${cmd.name} --help" for all flags.\n`,
      );
    } else if (!isEdgeError(err)) {
      io.stderr("(unexpected error; run with log level debug for details)\n");
    }
    return code;
  }
}
