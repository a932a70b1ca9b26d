// The product image, assembled without Docker from one definition (this file): Debian's runtime
// libraries that the Node binary links, the Node 24 binary that npm installed, the production
// dependencies and the TypeScript sources the image runs directly (ADR 0014). Reproducible: every
// input is a file of this checkout or of the machine's Debian packages, and the assembler writes
// sorted entries with fixed times and owners. Why: docs/adr/0071-image-built-without-docker.md.
import { execPath } from "node:process";
import {
  existsSync,
  lstatSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
} from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "./paths.ts";
import {
  buildImageArchive,
  type ImageEntry,
  type ImageLayer,
  type ImageResult,
  type ImageSpec,
} from "./image-archive.ts";
import { ensureImageAssembler, type Progress } from "./tool-builds.ts";

/** Where `npm run image` writes the archive (build/ is not committed). */
export const productImageArchive = path.join(repoRoot, "build/image/callback-operator.oci.tar");

/** Builds the product image archive (the assembler first, if the tool cache lacks it). */
export async function buildProductImage(
  progress: Progress,
  output: string = productImageArchive,
): Promise<ImageResult> {
  const assembler = await ensureImageAssembler(progress);
  await mkdir(path.dirname(output), { recursive: true });
  return buildImageArchive(assembler, productImageSpec(defaultImageReference(), output));
}

/** The user the image runs as (the pod spec says the same: runAsUser 1000). */
const appUser = { uid: 1000, gid: 1000 };

/** The chart's default image reference, read from dist/install.yaml: what the operator deploys. */
export function defaultImageReference(): string {
  const install = readFileSync(path.join(repoRoot, "dist/install.yaml"), "utf8");
  const match = /--callback-api-image=(\S+)/.exec(install);
  if (match?.[1] === undefined)
    throw new Error(
      "dist/install.yaml names no --callback-api-image; run npm run generate:install",
    );
  return match[1];
}

/** The Node binary npm installed (package `node`), the one every `npm run` uses. */
function nodeBinary(): string {
  const installed = path.join(repoRoot, "node_modules/node/bin/node");
  return existsSync(installed) ? realpathSync(installed) : execPath;
}

interface DebianFile {
  /** Where the Node binary's loader looks for it (what the image holds). */
  readonly imagePath: string;
  readonly hostFile: string;
  readonly debianPackage: string;
}

/**
 * The shared libraries of the Node binary (its ELF's NEEDED entries and its interpreter, as the
 * official Linux build links them), taken from the Debian packages installed here. Located by the
 * packages' file lists in /var/lib/dpkg, so no program is run and the package versions can label
 * the image.
 */
function runtimeLibraries(): { files: DebianFile[]; packages: Record<string, string> } {
  const wanted = [
    "/lib64/ld-linux-x86-64.so.2",
    ...[
      "libc.so.6",
      "libm.so.6",
      "libdl.so.2",
      "libpthread.so.0",
      "libgcc_s.so.1",
      "libstdc++.so.6",
    ].map((name) => `/lib/x86_64-linux-gnu/${name}`),
  ];
  const owners = dpkgOwners();
  const versions = dpkgVersions();
  const files: DebianFile[] = [];
  const packages: Record<string, string> = {};
  for (const imagePath of wanted) {
    const hostFile = realpathSync(imagePath);
    // Debian 12 merged /usr: the package lists name /lib/… or /usr/lib/…, whichever it ships.
    const candidates = [imagePath, `/usr${imagePath}`, hostFile, hostFile.replace(/^\/usr/, "")];
    const owner = candidates.map((c) => owners.get(c)).find((o) => o !== undefined);
    if (owner === undefined)
      throw new Error(
        `${imagePath} belongs to no installed Debian package; the image takes its libraries from Debian's libc6, libgcc-s1 and libstdc++6.`,
      );
    files.push({ imagePath, hostFile, debianPackage: owner });
    packages[owner] = versions.get(owner) ?? "unknown";
  }
  return { files, packages };
}

function dpkgOwners(): Map<string, string> {
  const owners = new Map<string, string>();
  const info = "/var/lib/dpkg/info";
  for (const list of readdirSync(info).filter((f) => f.endsWith(".list"))) {
    const name = list.slice(0, -".list".length).replace(/:amd64$/, "");
    if (!["libc6", "libgcc-s1", "libstdc++6"].includes(name)) continue;
    for (const line of readFileSync(path.join(info, list), "utf8").split("\n"))
      if (line !== "") owners.set(line, name);
  }
  return owners;
}

function dpkgVersions(): Map<string, string> {
  const versions = new Map<string, string>();
  for (const stanza of readFileSync("/var/lib/dpkg/status", "utf8").split("\n\n")) {
    const name = /^Package: (.+)$/m.exec(stanza)?.[1];
    const version = /^Version: (.+)$/m.exec(stanza)?.[1];
    if (name !== undefined && version !== undefined) versions.set(name, version);
  }
  return versions;
}

/** Files of a directory tree as image entries (modes kept as 0755 or 0644, owned by root). */
function tree(
  hostDir: string,
  imageDir: string,
  skip: (relative: string, isDir: boolean) => boolean,
): ImageEntry[] {
  const entries: ImageEntry[] = [];
  const walk = (relative: string): void => {
    for (const name of readdirSync(path.join(hostDir, relative)).sort()) {
      const rel = relative === "" ? name : `${relative}/${name}`;
      const host = path.join(hostDir, rel);
      const stat = lstatSync(host);
      if (skip(rel, stat.isDirectory())) continue;
      const image = `${imageDir}/${rel}`;
      if (stat.isSymbolicLink()) {
        entries.push({
          path: image,
          type: "symlink",
          target: readlinkSync(host),
          mode: 0o777,
          uid: 0,
          gid: 0,
        });
      } else if (stat.isDirectory()) {
        entries.push({ path: image, type: "dir", mode: 0o755, uid: 0, gid: 0 });
        walk(rel);
      } else if (stat.isFile()) {
        const mode = (stat.mode & 0o111) !== 0 ? 0o755 : 0o644;
        entries.push({ path: image, type: "file", source: host, mode, uid: 0, gid: 0 });
      }
    }
  };
  walk("");
  return entries;
}

interface LockPackage {
  readonly dev?: boolean;
  readonly link?: boolean;
}

/** The installed packages package-lock.json marks as not dev-only: production dependencies. */
export function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockPackage>;
  };
  return Object.entries(lock.packages)
    .filter(
      ([key, pkg]) => key.startsWith("node_modules/") && pkg.dev !== true && pkg.link !== true,
    )
    .map(([key]) => key)
    .filter((key) => existsSync(path.join(repoRoot, key))) // optional ones for other platforms
    .sort();
}

/**
 * Sources the image runs: everything under src/ except the test plane and tests, and the files the
 * console serves as its page (src/console/web: HTML and CSS beside the .ts it serves as JavaScript).
 */
function isAppSource(relative: string, isDir: boolean): boolean {
  if (isDir) return relative !== "control-plane";
  if (/\.(html|css)$/.test(relative)) return true;
  return relative.endsWith(".ts") && !relative.endsWith(".test.ts");
}

export function productImageSpec(reference: string, output: string): ImageSpec {
  const root = { uid: 0, gid: 0 };
  const { files, packages } = runtimeLibraries();
  const runtime: ImageLayer = {
    comment: `Debian runtime libraries of Node (${Object.entries(packages)
      .map(([p, v]) => `${p} ${v}`)
      .join(", ")}), /etc/passwd`,
    entries: [
      ...files.map((f): ImageEntry => ({
        path: f.imagePath,
        type: "file",
        source: f.hostFile,
        mode: 0o755,
        ...root,
      })),
      {
        path: "etc/passwd",
        type: "file",
        source: path.join(repoRoot, "src/control-plane/image/passwd"),
        mode: 0o644,
        ...root,
      },
      {
        path: "etc/group",
        type: "file",
        source: path.join(repoRoot, "src/control-plane/image/group"),
        mode: 0o644,
        ...root,
      },
      { path: "tmp", type: "dir", mode: 0o1777, ...root },
      // Embedded PGlite's data (a volume in the Deployment); the only directory the app owns.
      { path: "var/lib/callback-api", type: "dir", mode: 0o755, ...appUser },
    ],
  };
  const nodeLayer: ImageLayer = {
    comment: `Node ${process.versions.node} (the npm package node)`,
    entries: [
      { path: "usr/local/bin/node", type: "file", source: nodeBinary(), mode: 0o755, ...root },
    ],
  };
  const dependencies: ImageLayer = {
    comment: "production dependencies (package-lock.json, no dev packages)",
    entries: productionPackages().flatMap((key) => [
      { path: `app/${key}`, type: "dir" as const, mode: 0o755, ...root },
      // Nested packages are entries of their own; .bin holds links into dev tooling only.
      ...tree(
        path.join(repoRoot, key),
        `app/${key}`,
        (rel) => rel === "node_modules" || rel === ".bin",
      ),
    ]),
  };
  const app: ImageLayer = {
    comment: "the application: package.json, bin/, src/ (no tests, no control plane)",
    entries: [
      {
        path: "app/package.json",
        type: "file",
        source: path.join(repoRoot, "package.json"),
        mode: 0o644,
        ...root,
      },
      { path: "app/bin", type: "dir", mode: 0o755, ...root },
      {
        path: "app/bin/callback-operator.js",
        type: "file",
        source: path.join(repoRoot, "bin/callback-operator.js"),
        mode: 0o755,
        ...root,
      },
      { path: "app/src", type: "dir", mode: 0o755, ...root },
      ...tree(path.join(repoRoot, "src"), "app/src", (rel, isDir) => !isAppSource(rel, isDir)),
    ],
  };
  const version = (
    JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }
  ).version;
  return {
    reference,
    output,
    layers: [runtime, nodeLayer, dependencies, app],
    config: {
      Entrypoint: ["/usr/local/bin/node", "/app/bin/callback-operator.js"],
      Cmd: ["--help"],
      Env: [
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "NODE_ENV=production",
        "NODE_OPTIONS=--disable-warning=ExperimentalWarning",
      ],
      User: `${appUser.uid}:${appUser.gid}`,
      WorkingDir: "/app",
      ExposedPorts: { "8080/tcp": {} },
      Volumes: { "/var/lib/callback-api": {} },
      Labels: {
        "org.opencontainers.image.title": "callback-operator",
        "org.opencontainers.image.version": version,
        "org.opencontainers.image.licenses": "Apache-2.0",
        ...Object.fromEntries(
          Object.entries(packages).map(([p, v]) => [`io.callback-operator.debian.${p}`, v]),
        ),
      },
    },
  };
}
