#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly (type stripping). There is no build step: the image
// runs these same sources (docs/adr/0014-image-runs-typescript-sources.md).
await import("../src/cli/main.ts");
