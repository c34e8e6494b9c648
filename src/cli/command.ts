/**
 * The shape every CLI command shares, and the flags every command takes.
 * @module
 */
import type { FlagSpec, ParsedArgs } from "./args.ts";

/** Where a command writes; injected so tests capture output. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** One (sub)command of `edge-runtime`. */
export interface Command {
  /** Name as typed, e.g. `check-config`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage line(s) without the leading "Usage: ". */
  usage: string;
  /** Longer help text: what it does, examples. */
  description: string;
  /** Flags beyond the common ones. */
  flags: Record<string, FlagSpec>;
  /** Run the command; returns the exit code. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** Flags every command accepts. */
export const COMMON_FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h", doc: "show this help and exit" },
  "state-dir": {
    type: "string",
    value: "DIR",
    doc: "state directory; overrides stateDir from the config file",
  },
};

/** Flag spec for `--config FILE`. */
export const CONFIG_FLAG: FlagSpec = {
  type: "string",
  value: "FILE",
  short: "c",
  doc: "configuration file (YAML)",
};

/** String value of a flag, or undefined. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === "string" ? v : undefined;
}
