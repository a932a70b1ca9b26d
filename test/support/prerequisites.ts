// What the README promises a newcomer needs from the machine, read from the README itself: the
// programs of its "Set-up on a fresh machine" table and the Debian packages that table installs.
// The program guard and the CI check hold the tests and `.ci/run` to that list.
import { readFileSync } from "node:fs";
import path from "node:path";

const repoRoot = path.join(import.meta.dirname, "../..");
const SECTION = "## Set-up on a fresh machine";

export interface Prerequisites {
  /** Program names the tests may run from the PATH. */
  readonly programs: ReadonlySet<string>;
  /** Debian packages the table's `apt-get install` commands name. */
  readonly debianPackages: ReadonlySet<string>;
}

/** The rows of the first table in the README's set-up section. */
function setUpTable(readme: string): string[][] {
  const start = readme.indexOf(SECTION);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const end = readme.indexOf("\n## ", start + SECTION.length);
  const rows = readme
    .slice(start, end < 0 ? undefined : end)
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
  if (rows.length < 2)
    throw new Error(`README.md's "${SECTION}" section has no prerequisites table`);
  return rows.slice(1); // the header row names the columns
}

const codeSpans = (cell: string): string[] =>
  [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? "");

export function parsePrerequisites(readme: string): Prerequisites {
  const programs = new Set<string>();
  const debianPackages = new Set<string>();
  for (const [what = "", , debian = ""] of setUpTable(readme)) {
    for (const program of codeSpans(what)) programs.add(program);
    for (const command of codeSpans(debian)) {
      const install = /^(?:sudo )?apt-get install (?:-y )?(.+)$/.exec(command);
      for (const name of install?.[1]?.split(/\s+/) ?? []) debianPackages.add(name);
    }
  }
  return { programs, debianPackages };
}

export function readmePrerequisites(): Prerequisites {
  return parsePrerequisites(readFileSync(path.join(repoRoot, "README.md"), "utf8"));
}

/** The packages a script installs with `apt-get install` (as `.ci/run` does). */
export function aptInstalls(script: string): string[] {
  return [
    ...script.matchAll(/apt-get install((?: -[\w-]+)*)((?: [a-z0-9][a-z0-9.+-]*)+)/g),
  ].flatMap((match) => (match[2] ?? "").trim().split(/\s+/));
}
