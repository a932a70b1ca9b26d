// A flag table where every flag has an environment twin and a default, and every bad value gets a
// one-line error naming the flag and what it accepts (the commands exit 2 with it, no stack).

export interface Flag {
  readonly name: string;
  readonly env: string;
  readonly help: string;
  /** Shown in --help and used when neither the flag nor the variable is given. */
  readonly default?: string;
  /** A switch: `--flag` alone means true. */
  readonly boolean?: boolean;
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
  const byName = new Map(flags.map((flag) => [`--${flag.name}`, flag]));
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const flag = byName.get(name);
    if (flag === undefined)
      throw new FlagError(`unknown flag "${arg}"; run with --help to list the flags`);
    if (flag.boolean === true && eq < 0) {
      given.set(flag.name, "true");
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new FlagError(`${name} needs a value: ${name} VALUE`);
    given.set(flag.name, value);
  }
  return (name) => {
    const flag = flags.find((f) => f.name === name);
    if (flag === undefined) throw new Error(`no flag --${name} is declared`);
    const fromEnv = env[flag.env];
    return (
      given.get(name) ??
      (fromEnv === undefined || fromEnv === "" ? undefined : fromEnv) ??
      flag.default
    );
  };
}

export function flagHelp(flags: readonly Flag[]): string {
  return flags
    .map((flag) => {
      const name = `--${flag.name}${flag.boolean === true ? "" : " VALUE"}`;
      const extra = [
        `env ${flag.env}`,
        ...(flag.default === undefined || flag.default === "" ? [] : [`default ${flag.default}`]),
      ];
      return `  ${name.padEnd(34)} ${flag.help} [${extra.join(", ")}]`;
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

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations as controller-runtime flags take them: 500ms, 30s, 5m, 1h. */
export function durationFlag(values: FlagValues, name: string): number {
  const raw = values(name) ?? "";
  const match = /^(\d+)(ms|s|m|h)$/.exec(raw);
  const unit = match?.[2];
  if (match === null || unit === undefined) {
    throw new FlagError(
      `--${name} "${raw}" is invalid: use a duration such as 500ms, 30s, 5m or 1h`,
    );
  }
  return Number(match[1]) * (units[unit] ?? 1);
}

/** A comma-separated list; empty entries are dropped. */
export function listFlag(values: FlagValues, name: string): string[] {
  return (values(name) ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}
