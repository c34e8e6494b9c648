/**
 * Every `edge-runtime` command, in help order.
 * @module
 */
import type { Command } from "../command.ts";
import { runCommand } from "./run.ts";
import { hubCommand } from "./hub.ts";
import { tokenCommand } from "./token.ts";
import { nodeCommand } from "./node.ts";
import { auditCommand } from "./audit.ts";
import { statusCommand } from "./status.ts";
import { checkConfigCommand } from "./check_config.ts";
import { versionCommand } from "./version.ts";

/** All commands. */
export const COMMANDS: readonly Command[] = [
  runCommand,
  hubCommand,
  tokenCommand,
  nodeCommand,
  auditCommand,
  statusCommand,
  checkConfigCommand,
  versionCommand,
];
