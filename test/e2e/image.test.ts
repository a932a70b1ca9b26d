// `npm run image`'s build: the same inputs give the same digest, and the image holds the app and
// its production dependencies only (no tests, no dev packages, no test plane).
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { buildProductImage } from "../../src/control-plane/product-image.ts";

/** Entries of a tar archive: name, type flag, owner and the content's offset (USTAR and PAX). */
function tarEntries(tar: Buffer): { name: string; type: string; uid: number; data: Buffer }[] {
  const entries = [];
  let offset = 0;
  let paxPath: string | undefined;
  while (offset + 512 <= tar.length && tar[offset] !== 0) {
    const field = (start: number, length: number): string =>
      tar.toString("utf8", offset + start, offset + start + length).replace(/\0.*$/s, "");
    const size = Number.parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    const data = tar.subarray(offset + 512, offset + 512 + size);
    if (type === "x") {
      paxPath = /\d+ path=([^\n]*)\n/.exec(data.toString("utf8"))?.[1];
    } else {
      const name = paxPath ?? (prefix === "" ? field(0, 100) : `${prefix}/${field(0, 100)}`);
      entries.push({ name, type, uid: Number.parseInt(field(108, 8).trim() || "0", 8), data });
      paxPath = undefined;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

describe("the product image", () => {
  it("is reproducible: built again from the same checkout, it has the same digest", async () => {
    const first = inject("productImage");
    const again = await buildProductImage(
      () => undefined,
      path.join(path.dirname(first.archive), "again.oci.tar"),
    );
    console.log(
      `[e2e] image ${again.digest}: ${(again.archiveSize / 2 ** 20).toFixed(1)} MiB archive, ${(again.layers.reduce((n, l) => n + l.uncompressedSize, 0) / 2 ** 20).toFixed(1)} MiB unpacked`,
    );
    expect(again.digest).toBe(first.digest);
    expect(readFileSync(path.join(path.dirname(first.archive), "again.oci.tar"))).toEqual(
      readFileSync(first.archive),
    );
  });

  it("holds the app, Node and production dependencies only, owned by root, run as uid 1000", () => {
    const archive = tarEntries(readFileSync(inject("productImage").archive));
    const manifest = JSON.parse(
      archive.find((e) => e.name === "manifest.json")?.data.toString("utf8") ?? "[]",
    ) as { Config: string; Layers: string[] }[];
    const [image] = manifest;
    if (image === undefined) throw new Error("The archive has no manifest.json");
    const blob = (name: string): Buffer => {
      const entry = archive.find((e) => e.name === name);
      if (entry === undefined) throw new Error(`No ${name} in the archive`);
      return entry.data;
    };
    const config = JSON.parse(blob(image.Config).toString("utf8")) as {
      config: { User: string; Entrypoint: string[] };
    };
    expect(config.config.User).toBe("1000:1000");
    expect(config.config.Entrypoint).toEqual([
      "/usr/local/bin/node",
      "/app/bin/callback-operator.js",
    ]);
    const files = image.Layers.flatMap((layer) => tarEntries(gunzipSync(blob(layer))));
    const names = files.map((f) => f.name);
    expect(names).toContain("usr/local/bin/node");
    expect(names).toContain("app/src/callback-api/main.ts");
    // The console's page, which it serves from the image (test/e2e/console-pod.test.ts).
    expect(names).toContain("app/src/console/web/index.html");
    expect(names).toContain("app/src/console/web/styles.css");
    expect(names).toContain("app/node_modules/@electric-sql/pglite/package.json");
    // Ours: packages keep what their authors published, as `npm ci --omit=dev` would install them.
    const own = names.filter((n) => !n.startsWith("app/node_modules/"));
    expect(own.filter((n) => n.endsWith(".test.ts"))).toEqual([]);
    expect(names.filter((n) => n.startsWith("app/src/control-plane"))).toEqual([]);
    expect(names.filter((n) => n.startsWith("app/test/") || n.startsWith("app/bench/"))).toEqual(
      [],
    );
    for (const dev of ["vitest", "typescript", "eslint", "prettier", "knip", "node", "fast-check"])
      expect(names, dev).not.toContain(`app/node_modules/${dev}/package.json`);
    // Only the data directory belongs to the app's user: it cannot change its own code.
    expect(files.filter((f) => f.uid !== 0).map((f) => f.name)).toEqual(["var/lib/callback-api/"]);
  });
});
