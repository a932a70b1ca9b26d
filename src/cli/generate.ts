// `npm run generate`: writes every file generated from src/api/ (CRDs, the built-in template).
// `--check` writes nothing and exits 1 if any file on disk is stale.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "../api/generated-files.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

async function current(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return undefined;
  }
}

export async function run(argv: readonly string[]): Promise<void> {
  const check = argv.includes("--check");
  let stale = 0;
  for (const file of generatedFiles()) {
    const target = path.join(root, file.path);
    if ((await current(target)) === file.content) continue;
    stale += 1;
    if (check) {
      process.stderr.write(`${file.path} is stale; run npm run generate\n`);
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.content);
    process.stdout.write(`Wrote ${file.path}\n`);
  }
  if (check && stale > 0) process.exitCode = 1;
  if (!check && stale === 0) process.stdout.write("Generated files are up to date.\n");
}

if (import.meta.main) await run(process.argv.slice(2));
