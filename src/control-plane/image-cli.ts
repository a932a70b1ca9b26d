// `npm run image`: builds the product image as an OCI archive (build/image/), reports its digest
// and size, and loads it into the real node of `npm run cluster:up -- --real-node` if one runs.
import path from "node:path";
import { isRunning, readState } from "./control-plane.ts";
import { ToolchainError } from "./go-toolchain.ts";
import { clusterDir } from "./paths.ts";
import { buildProductImage, productImageArchive } from "./product-image.ts";
import { importImage } from "./real-node.ts";

const progress = (message: string): void => {
  process.stderr.write(`${message}\n`);
};
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

try {
  const started = Date.now();
  const result = await buildProductImage(progress);
  progress(`Image ${result.reference}`);
  progress(`  digest:  ${result.digest}`);
  progress(
    `  archive: ${path.relative(process.cwd(), productImageArchive)} (${mib(result.archiveSize)}, built in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  for (const layer of result.layers)
    progress(
      `  layer:   ${mib(layer.compressedSize)} compressed, ${mib(layer.uncompressedSize)} unpacked, ${layer.entries} entries: ${layer.comment}`,
    );
  const state = await readState(clusterDir());
  if (state?.realNode !== undefined && isRunning(state)) {
    importImage(state.realNode, productImageArchive);
    progress(`  loaded into the real node of ${state.server}`);
  }
} catch (error) {
  progress(
    error instanceof ToolchainError ? `Error: ${error.message}` : String((error as Error).stack),
  );
  process.exitCode = 1;
}
