/**
 * A small, strict command-line flag parser: every flag is declared, unknown
 * flags and missing values are usage errors (exit 2) that name the flag.
 * @module
 */
import { EdgeError } from "../errors.ts";

/** Declaration of one flag. */
export interface FlagSpec {
  /** `string` takes a value (`--x v` or `--x=v`); `boolean` takes none. */
  type: "string" | "boolean";
  /** One-line help text. */
  doc: string;
  /** Placeholder shown in help, e.g. `FILE`. */
  value?: string;
  /** Single-letter alias, e.g. `h`. */
  short?: string;
}

/** Parsed flags and positional arguments. */
export interface ParsedArgs {
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parse `argv` against `specs`. `--` ends flag parsing.
 * @throws EdgeError `USAGE` naming the unknown flag or the missing value.
 */
export function parseArgs(
  argv: readonly string[],
  specs: Record<string, FlagSpec>,
): ParsedArgs {
  const flags: ParsedArgs["flags"] = {};
  const positionals: string[] = [];
  const byShort = new Map(
    Object.entries(specs).filter(([, s]) => s.short).map((
      [n, s],
    ) => [s.short!, n]),
  );
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf("=");
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const name = long ? key : byShort.get(key);
    const spec = name === undefined ? undefined : specs[name];
    if (!spec || name === undefined) {
      throw new EdgeError("USAGE", `unknown flag "${arg.split("=")[0]}"`);
    }
    if (spec.type === "boolean") {
      if (eq >= 0) {
        throw new EdgeError("USAGE", `flag --${name} takes no value`);
      }
      flags[name] = true;
      continue;
    }
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : argv[i + 1];
    if (eq < 0) {
      if (value === undefined || value.startsWith("--")) value = undefined;
      else i++;
    }
    if (value === undefined || value === "") {
      throw new EdgeError(
        "USAGE",
        `flag --${name} needs a value (${spec.value ?? "VALUE"})`,
      );
    }
    flags[name] = value;
  }
  return { flags, positionals };
}

/** Render the flags section of a help text. */
export function formatFlags(specs: Record<string, FlagSpec>): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `${s.short ? `-${s.short}, ` : "    "}--${name}${
      s.type === "string" ? ` ${s.value ?? "VALUE"}` : ""
    }`;
    return [left, s.doc] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, d]) => `  ${l.padEnd(width)}  ${d}`).join("\n");
}
