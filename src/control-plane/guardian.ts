// Entry point of the guardian process (see guard()): `node guardian.ts <plane dir> <owner pid>`.
import { guard } from "./control-plane.ts";

const [dir, owner] = process.argv.slice(2);
if (dir === undefined || owner === undefined) {
  process.stderr.write("usage: guardian.ts <plane dir> <owner pid>\n");
  process.exit(2);
}
await guard(dir, Number.parseInt(owner, 10));
