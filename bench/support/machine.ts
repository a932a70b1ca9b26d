// The machine a benchmark ran on, recorded beside every result: figures from different machines
// are not comparable, ratios measured in one run are.
import { execFileSync } from "node:child_process";
import os from "node:os";

export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly go: string;
  readonly postgres: string;
  readonly loadAverage1m: number;
}

function firstLine(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8" }).split("\n")[0]?.trim() ?? "";
  } catch {
    return "not found";
  }
}

export function machineInfo(): MachineInfo {
  return {
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    go: firstLine("go", ["version"]),
    postgres: firstLine("psql", ["--version"]),
    loadAverage1m: os.loadavg()[0] ?? 0,
  };
}
