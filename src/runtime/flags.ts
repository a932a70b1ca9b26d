// The one flag module of both commands (`operator` and `callback-api`): a table of rows, each a
// flag with its environment twin, default and help, parsed by node:util parseArgs. --help is
// generated from the rows, and docs/configuration.md is checked against them. Every bad value gets a
// one-line error naming the flag and the fix; the commands exit 2 with it, no stack.
import { parseArgs } from "node:util";

export interface Flag {
  readonly name: string;
  /** The environment variable read when the flag is not given; "" for none. */
  readonly env: string;
  readonly help: string;
  /** Shown in --help and used when neither the flag nor the variable is given. */
  readonly default?: string;
  /** A switch: `--flag` alone means true, and it takes no value. */
  readonly boolean?: boolean;
  /** A one-letter alias, e.g. f for -f. */
  readonly short?: string;
}

export class FlagError extends Error {
  override readonly name = "FlagError";
}

export type FlagValues = (name: string) => string | undefined;

/** Reads argv (`--flag value`, `--flag=value`), then the environment, then defaults. */
export function readFlags(
  flags: readonly Flag[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): FlagValues {
  const given = parse(flags, argv);
  return (name) => {
    const flag = flags.find((f) => f.name === name);
    if (flag === undefined) throw new Error(`no flag --${name} is declared`);
    const fromArgv = given[name];
    if (fromArgv !== undefined) return String(fromArgv);
    const fromEnv = flag.env === "" ? undefined : env[flag.env];
    return (fromEnv === undefined || fromEnv === "" ? undefined : fromEnv) ?? flag.default;
  };
}

function parse(
  flags: readonly Flag[],
  argv: readonly string[],
): Record<string, string | boolean | undefined> {
  const options = Object.fromEntries(
    flags.map((flag) => [
      flag.name,
      {
        type: flag.boolean === true ? ("boolean" as const) : ("string" as const),
        ...(flag.short === undefined ? {} : { short: flag.short }),
      },
    ]),
  );
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new FlagError(parseArgsProblem(error));
  }
}

/** parseArgs's errors, reworded as the fix. */
function parseArgsProblem(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const named = /'([^' ]+)/.exec(message)?.[1] ?? "";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag "${named}"; run with --help to list the flags`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument "${named}"; every value belongs to a flag: --name=value`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return message.includes("does not take an argument")
        ? `${named} takes no value; write just ${named}`
        : `${named} needs a value: ${named}=VALUE`;
    default:
      throw error;
  }
}

export function flagHelp(flags: readonly Flag[]): string {
  return flags
    .map((flag) => {
      const short = flag.short === undefined ? "" : `-${flag.short}, `;
      const name = `${short}--${flag.name}${flag.boolean === true ? "" : " VALUE"}`;
      const extra = [
        ...(flag.env === "" ? [] : [`env ${flag.env}`]),
        ...(flag.default === undefined || flag.default === "" ? [] : [`default ${flag.default}`]),
      ];
      const notes = extra.length === 0 ? "" : ` [${extra.join(", ")}]`;
      return `  ${name.padEnd(34)} ${flag.help}${notes}`;
    })
    .join("\n");
}

export function intFlag(values: FlagValues, name: string, min: number, max: number): number {
  const raw = values(name) ?? "";
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new FlagError(`--${name} "${raw}" is invalid: use a whole number from ${min} to ${max}`);
  }
  return value;
}

export function boolFlag(values: FlagValues, name: string): boolean {
  const raw = values(name);
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw new FlagError(`--${name} "${raw ?? ""}" is invalid: use true or false`);
}

export function choiceFlag<T extends string>(
  values: FlagValues,
  name: string,
  choices: readonly T[],
): T {
  const raw = values(name) ?? "";
  const match = choices.find((choice) => choice === raw);
  if (match === undefined)
    throw new FlagError(`--${name} "${raw}" is invalid: use one of ${choices.join(", ")}`);
  return match;
}

const durationUnits: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};
const durationTerm = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const durationSyntax = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;

/**
 * Milliseconds of a Go duration as Go and controller-runtime flags write them: a sequence of
 * numbers, each with a unit h, m, s or ms, e.g. 250ms, 30s, 2m, 1h30m, 2.5s. Undefined for
 * anything else, a bare number included (seconds or milliseconds? the reader cannot tell).
 */
export function parseDuration(text: string): number | undefined {
  if (!durationSyntax.test(text)) return undefined;
  let ms = 0;
  for (const [, count, unit] of text.matchAll(durationTerm)) {
    ms += Number(count) * (durationUnits[unit ?? ""] ?? Number.NaN);
  }
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** A Go-style duration in ms; a bare number is refused with the fix spelled out. */
export function durationFlag(values: FlagValues, name: string): number {
  const raw = values(name) ?? "";
  const ms = parseDuration(raw);
  if (ms !== undefined) return ms;
  if (/^\d+(\.\d+)?$/.test(raw)) {
    throw new FlagError(
      `--${name} "${raw}" is invalid: a duration needs a unit; write ${raw}s for seconds (or ${raw}ms, ${raw}m, ${raw}h)`,
    );
  }
  throw new FlagError(
    `--${name} "${raw}" is invalid: use a duration such as 250ms, 30s, 2m or 1h30m`,
  );
}

/** A comma-separated list; empty entries are dropped. */
export function listFlag(values: FlagValues, name: string): string[] {
  return (values(name) ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}
