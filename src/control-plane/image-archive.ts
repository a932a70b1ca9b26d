// The TypeScript side of the image assembler (src/control-plane/go/oci-image): the spec it reads
// and the result it prints. Used for the product image (`npm run image`) and the node's pause image.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export interface ImageEntry {
  /** Path inside the image, relative to /. */
  readonly path: string;
  readonly type: "file" | "dir" | "symlink";
  /** A file's content, read from this host path. */
  readonly source?: string;
  /** A symlink's target. */
  readonly target?: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface ImageLayer {
  /** What the layer holds; it becomes the layer's history entry. */
  readonly comment: string;
  readonly entries: readonly ImageEntry[];
}

/** The OCI image config (the fields of go-containerregistry's v1.Config that we set). */
export interface ImageConfig {
  readonly Entrypoint?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Env?: readonly string[];
  readonly User?: string;
  readonly WorkingDir?: string;
  readonly ExposedPorts?: Readonly<Record<string, Record<string, never>>>;
  readonly Volumes?: Readonly<Record<string, Record<string, never>>>;
  readonly Labels?: Readonly<Record<string, string>>;
}

export interface ImageSpec {
  /** The full reference the image is imported or loaded under (repository:tag). */
  readonly reference: string;
  readonly output: string;
  readonly layers: readonly ImageLayer[];
  readonly config: ImageConfig;
}

export interface ImageResult {
  readonly reference: string;
  /** The manifest's digest: the image's identity. */
  readonly digest: string;
  readonly configDigest: string;
  readonly archiveSize: number;
  readonly layers: readonly {
    readonly comment: string;
    readonly digest: string;
    readonly compressedSize: number;
    readonly uncompressedSize: number;
    readonly entries: number;
  }[];
}

/** Runs the assembler on a spec and returns what it wrote. */
export async function buildImageArchive(assembler: string, spec: ImageSpec): Promise<ImageResult> {
  const dir = await mkdtemp(path.join(tmpdir(), "callback-operator-image-"));
  try {
    const specFile = path.join(dir, "spec.json");
    await writeFile(specFile, JSON.stringify(spec));
    const result = spawnSync(assembler, [specFile], {
      encoding: "utf8",
      maxBuffer: 16 * 2 ** 20,
    });
    if (result.status !== 0)
      throw new Error(
        `The image assembler failed for ${spec.reference}: ${result.stderr.trim() || String(result.error)}`,
      );
    return JSON.parse(result.stdout) as ImageResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
