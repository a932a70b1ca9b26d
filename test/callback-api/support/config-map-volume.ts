// A directory laid out as the kubelet lays out a ConfigMap volume: each generation of files in a
// `..<timestamp>` directory, `..data` pointing at the current one, one symlink per key through it.
import { mkdir, rename, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Lays out `dir` (created if missing) and returns a function that swaps in new contents. */
export async function configMapVolume(
  dir: string,
  files: Record<string, string>,
): Promise<(next: Record<string, string>) => Promise<void>> {
  await mkdir(dir, { recursive: true });
  let generation = 0;
  const writeGeneration = async (content: Record<string, string>): Promise<string> => {
    const name = `..2030_03_04_10_00_0${generation++}.000`;
    await mkdir(join(dir, name));
    for (const [key, value] of Object.entries(content))
      await writeFile(join(dir, name, key), value);
    return name;
  };
  await symlink(await writeGeneration(files), join(dir, "..data"));
  for (const key of Object.keys(files)) await symlink(join("..data", key), join(dir, key));
  // As the kubelet swaps it: the new generation, then `..data` renamed over atomically.
  return async (next) => {
    const target = await writeGeneration(next);
    await symlink(target, join(dir, "..data_tmp"));
    await rename(join(dir, "..data_tmp"), join(dir, "..data"));
    for (const key of Object.keys(next))
      await symlink(join("..data", key), join(dir, key)).catch(() => undefined);
  };
}
