#!/usr/bin/env node
// The sources are TypeScript that Node 24 runs directly (type stripping); a built image runs build/.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = fileURLToPath(new URL("../build/src/cli/main.js", import.meta.url));
await import(existsSync(built) ? built : "../src/cli/main.ts");
