import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { requireDiskSpace, requireGo, runGo, ToolchainError } from "./go-toolchain.ts";
import { toolCacheRoot } from "./paths.ts";
import { withLock } from "./file-lock.ts";
import { kubernetesStagingModules, versions } from "./versions.ts";

/** One cached build: a wrapper Go module and the binaries it produces. */
interface ToolBuild {
  readonly name: string;
  readonly version: string;
  readonly binaries: readonly string[];
  /** The go commands, run in order inside the build's module directory. */
  readonly steps: (binDir: string) => readonly (readonly string[])[];
  /** Puts the program's own source into the module directory first (programs kept in this repo). */
  readonly prepare?: (moduleDir: string) => Promise<void>;
}

const k8sVersionPackages = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"];

function kubernetesLdflags(): string {
  // Mirrors hack/lib/version.sh: without these /version reports v0.0.0-master.
  const [major, minor] = versions.kubernetes.split(".");
  const flags = ["-s", "-w"];
  for (const pkg of k8sVersionPackages) {
    flags.push(
      `-X ${pkg}.gitVersion=v${versions.kubernetes}`,
      `-X ${pkg}.gitMajor=${major ?? ""}`,
      `-X ${pkg}.gitMinor=${minor ?? ""}`,
      `-X ${pkg}.gitTreeState=clean`,
    );
  }
  return flags.join(" ");
}

const kubernetesCommands = [
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kubectl",
] as const;

const builds: readonly ToolBuild[] = [
  {
    name: "etcd",
    version: versions.etcd,
    binaries: ["etcd"],
    // etcd's own go.mod has replace directives, so `go install` refuses it: use a wrapper module.
    steps: (bin) => [
      ["mod", "init", "localtools/etcd"],
      [
        "mod",
        "edit",
        `-go=${versions.goDirective}`,
        `-require=go.etcd.io/etcd/server/v3@v${versions.etcd}`,
        "-tool=go.etcd.io/etcd/server/v3",
      ],
      ["mod", "tidy"],
      [
        "build",
        "-v",
        "-trimpath",
        "-ldflags=-s -w",
        "-o",
        path.join(bin, "etcd"),
        "go.etcd.io/etcd/server/v3",
      ],
    ],
  },
  {
    name: "kubernetes",
    version: versions.kubernetes,
    binaries: kubernetesCommands,
    steps: (bin) => kubernetesCommandSteps(kubernetesCommands, bin),
  },
  {
    name: "kwok",
    version: versions.kwok,
    binaries: ["kwok"],
    steps: (bin) => [
      ["mod", "init", "localtools/kwok"],
      [
        "mod",
        "edit",
        `-go=${versions.goDirective}`,
        `-require=sigs.k8s.io/kwok@v${versions.kwok}`,
        "-tool=sigs.k8s.io/kwok/cmd/kwok",
      ],
      ["mod", "tidy"],
      [
        "build",
        "-v",
        "-trimpath",
        "-ldflags=-s -w",
        "-o",
        path.join(bin, "kwok"),
        "sigs.k8s.io/kwok/cmd/kwok",
      ],
    ],
  },
];

/**
 * Helm, for the chart tests only (never a part of the plane, so `cluster:up` does not build it).
 * helm.sh/helm/v4 has no replace directives, but a wrapper module keeps the build like the others.
 */
const helmBuild: ToolBuild = {
  name: "helm",
  version: versions.helm,
  binaries: ["helm"],
  steps: (bin) => [
    ["mod", "init", "localtools/helm"],
    [
      "mod",
      "edit",
      `-go=${versions.goDirective}`,
      `-require=helm.sh/helm/v4@v${versions.helm}`,
      "-tool=helm.sh/helm/v4/cmd/helm",
    ],
    ["mod", "tidy"],
    [
      "build",
      "-v",
      "-trimpath",
      // Mirrors helm's Makefile for a tagged build: without it `helm version` says "main".
      `-ldflags=-s -w -X helm.sh/helm/v4/internal/version.version=v${versions.helm} -X helm.sh/helm/v4/internal/version.metadata= -X helm.sh/helm/v4/internal/version.gitTreeState=clean`,
      "-o",
      path.join(bin, "helm"),
      "helm.sh/helm/v4/cmd/helm",
    ],
  ],
};

/** A wrapper module for one command of k8s.io/kubernetes, with every staging module pinned. */
function kubernetesCommandSteps(commands: readonly string[], bin: string): string[][] {
  const staging = `0.${versions.kubernetes.split(".").slice(1).join(".")}`;
  return [
    ["mod", "init", "localtools/kubernetes"],
    [
      "mod",
      "edit",
      `-go=${versions.goDirective}`,
      `-require=k8s.io/kubernetes@v${versions.kubernetes}`,
      // The replaces must exist before the first tidy, or Go looks for k8s.io/api@v0.0.0.
      ...kubernetesStagingModules.map((m) => `-replace=k8s.io/${m}=k8s.io/${m}@v${staging}`),
      ...commands.map((c) => `-tool=k8s.io/kubernetes/cmd/${c}`),
    ],
    ["mod", "tidy"],
    [
      "build",
      "-v",
      "-trimpath",
      `-ldflags=${kubernetesLdflags()}`,
      "-o",
      `${bin}/`,
      ...commands.map((c) => `k8s.io/kubernetes/cmd/${c}`),
    ],
  ];
}

const containerdPackage = "github.com/containerd/containerd/v2";
// Mirrors containerd's Makefile: the version is stamped at link time, the shim is built without gRPC.
const containerdLdflags = `-ldflags=-s -w -X ${containerdPackage}/version.Version=v${versions.containerd} -X ${containerdPackage}/version.Package=${containerdPackage}`;

const cniPlugins = [
  ["bridge", "main"],
  ["loopback", "main"],
  ["host-local", "ipam"],
  ["portmap", "meta"],
] as const;

/** A program of this repository (src/control-plane/go/NAME/main.go), keyed by its source's hash. */
function repoProgram(
  name: string,
  requires: readonly { readonly module: string; readonly version: string }[],
): ToolBuild {
  const source = fileURLToPath(new URL(`go/${name}/main.go`, import.meta.url));
  const version = createHash("sha256")
    .update(JSON.stringify(requires))
    .update("\0")
    .update(readFileSync(source))
    .digest("hex")
    .slice(0, 12);
  return {
    name,
    version,
    binaries: [name],
    prepare: (moduleDir) => copyFile(source, path.join(moduleDir, "main.go")),
    steps: (bin) => [
      ["mod", "init", `localtools/${name}`],
      [
        "mod",
        "edit",
        `-go=${versions.goDirective}`,
        ...requires.map((r) => `-require=${r.module}@v${r.version}`),
      ],
      ["mod", "tidy"],
      ["build", "-v", "-trimpath", "-ldflags=-s -w", "-o", path.join(bin, name), "."],
    ],
  };
}

/** Assembles images without a daemon (`npm run image`, the node's pause image). */
const imageAssemblerBuild = repoProgram("oci-image", [
  { module: "github.com/google/go-containerregistry", version: versions.goContainerRegistry },
]);

/**
 * The real node (docs/adr/0070-a-real-node-beside-kwok.md): containerd with its runc shim and
 * ctr, the CNI plugins, the pause program and the kubelet. runc is Debian's (see requireRunc).
 * The kubelet goes last: it is the long build, and it reuses the control plane's build cache.
 */
const nodeBuilds: readonly ToolBuild[] = [
  {
    name: "containerd",
    version: versions.containerd,
    binaries: ["containerd", "ctr", "containerd-shim-runc-v2"],
    steps: (bin) => [
      ["mod", "init", "localtools/containerd"],
      [
        "mod",
        "edit",
        `-go=${versions.goDirective}`,
        `-require=${containerdPackage}@v${versions.containerd}`,
        ...["containerd", "ctr", "containerd-shim-runc-v2"].map(
          (c) => `-tool=${containerdPackage}/cmd/${c}`,
        ),
      ],
      ["mod", "tidy"],
      [
        "build",
        "-v",
        "-trimpath",
        "-tags=urfave_cli_no_docs",
        containerdLdflags,
        "-o",
        `${bin}/`,
        `${containerdPackage}/cmd/containerd`,
        `${containerdPackage}/cmd/ctr`,
      ],
      [
        "build",
        "-v",
        "-trimpath",
        "-tags=urfave_cli_no_docs,no_grpc",
        containerdLdflags,
        "-o",
        `${bin}/`,
        `${containerdPackage}/cmd/containerd-shim-runc-v2`,
      ],
    ],
  },
  {
    name: "cni-plugins",
    version: versions.cniPlugins,
    binaries: cniPlugins.map(([name]) => name),
    steps: (bin) => {
      const module = "github.com/containernetworking/plugins";
      const packages = cniPlugins.map(([name, kind]) => `${module}/plugins/${kind}/${name}`);
      return [
        ["mod", "init", "localtools/cni-plugins"],
        [
          "mod",
          "edit",
          `-go=${versions.goDirective}`,
          `-require=${module}@v${versions.cniPlugins}`,
          ...packages.map((p) => `-tool=${p}`),
        ],
        ["mod", "tidy"],
        [
          "build",
          "-v",
          "-trimpath",
          `-ldflags=-s -w -X ${module}/pkg/utils/buildversion.BuildVersion=v${versions.cniPlugins}`,
          "-o",
          `${bin}/`,
          ...packages,
        ],
      ];
    },
  },
  repoProgram("pause", []),
  imageAssemblerBuild,
  {
    name: "kubelet",
    version: versions.kubernetes,
    binaries: ["kubelet"],
    steps: (bin) => kubernetesCommandSteps(["kubelet"], bin),
  },
];

export interface ToolPaths {
  readonly binDir: string;
  binary(name: string): string;
}

function buildDir(build: ToolBuild): string {
  return path.join(toolCacheRoot(), "tools", `${build.name}-v${build.version}`);
}

/** Where every binary of the plane is; a single directory on PATH for scripts and kubectl. */
export function toolBinDir(): string {
  return path.join(toolCacheRoot(), "bin", `k8s-v${versions.kubernetes}`);
}

export type Progress = (message: string) => void;

/** Builds the plane's programs if missing and returns where they are. */
export async function ensureTools(progress: Progress): Promise<ToolPaths> {
  const binDir = toolBinDir();
  await ensureBuilds(builds, progress, versions.minimumGo, 6 * 2 ** 30);
  await linkBinaries(binDir);
  return { binDir, binary: (name) => path.join(binDir, name) };
}

/** Builds Helm into the tool cache if missing (about a minute warm-cache, see docs/testing.md). */
export async function ensureHelm(progress: Progress): Promise<string> {
  await ensureBuilds([helmBuild], progress, versions.minimumGo, 2 * 2 ** 30);
  return path.join(buildDir(helmBuild), "bin", "helm");
}

/** The image assembler (src/control-plane/go/oci-image), built on first use. */
export async function ensureImageAssembler(progress: Progress): Promise<string> {
  await ensureBuilds([imageAssemblerBuild], progress, versions.minimumGo, 2 * 2 ** 30);
  return path.join(buildDir(imageAssemblerBuild), "bin", imageAssemblerBuild.name);
}

/** Where each program of the real node is. */
export interface NodeTools {
  readonly containerd: string;
  readonly ctr: string;
  /** containerd looks its shim up on PATH: this directory holds containerd-shim-runc-v2. */
  readonly shimDir: string;
  readonly cniBinDir: string;
  readonly kubelet: string;
  readonly pause: string;
  readonly imageAssembler: string;
}

/** Builds the real node's programs if missing (cold: about 10 minutes after the plane's build). */
export async function ensureNodeTools(progress: Progress): Promise<NodeTools> {
  await ensureBuilds(nodeBuilds, progress, versions.minimumGoForNode, 6 * 2 ** 30);
  const bin = (name: string): string => {
    const build = nodeBuilds.find((b) => b.binaries.includes(name));
    if (build === undefined) throw new Error(`No node build makes ${name}`);
    return path.join(buildDir(build), "bin", name);
  };
  return {
    containerd: bin("containerd"),
    ctr: bin("ctr"),
    shimDir: path.dirname(bin("containerd-shim-runc-v2")),
    cniBinDir: path.dirname(bin("bridge")),
    kubelet: bin("kubelet"),
    pause: bin("pause"),
    imageAssembler: bin("oci-image"),
  };
}

/**
 * Builds whatever of `wanted` is missing. Warm, this only checks marker files. A lock keeps
 * concurrent callers (a test run beside `cluster:up`) from building the same thing twice.
 */
async function ensureBuilds(
  wanted: readonly ToolBuild[],
  progress: Progress,
  minimumGo: string,
  diskBytes: number,
): Promise<void> {
  if (wanted.every(isComplete)) return;
  requireGo(minimumGo);
  await mkdir(toolCacheRoot(), { recursive: true });
  await requireDiskSpace(toolCacheRoot(), diskBytes);
  await withLock(path.join(toolCacheRoot(), "build.lock"), progress, "build", async () => {
    for (const build of wanted.filter((b) => !isComplete(b))) await runBuild(build, progress);
  });
}

function isComplete(build: ToolBuild): boolean {
  const dir = buildDir(build);
  return (
    existsSync(path.join(dir, "complete.json")) &&
    build.binaries.every((b) => existsSync(path.join(dir, "bin", b)))
  );
}

async function runBuild(build: ToolBuild, progress: Progress): Promise<void> {
  const dir = buildDir(build);
  const modDir = path.join(dir, "module");
  const binDir = path.join(dir, "bin");
  // A half-finished build leaves a module that `go mod init` would refuse: start clean.
  await rm(dir, { recursive: true, force: true });
  await mkdir(modDir, { recursive: true });
  await mkdir(binDir, { recursive: true });
  await build.prepare?.(modDir);
  const logFile = path.join(dir, "build.log");
  const started = Date.now();
  progress(
    `Building ${build.name} v${build.version} (${build.binaries.join(", ")}); log: ${logFile}`,
  );
  let packages = 0;
  let lastLine = "";
  const heartbeat = setInterval(() => {
    progress(
      `  ${build.name}: ${elapsed(started)} elapsed, ${packages} packages compiled${lastLine === "" ? "" : `, last: ${lastLine}`}`,
    );
  }, 20_000);
  try {
    for (const step of build.steps(binDir)) {
      progress(`  ${build.name}: go ${step.slice(0, 2).join(" ")}`);
      await runGo({
        args: step,
        cwd: modDir,
        logFile,
        onLine: (line) => {
          if (!line.startsWith("go:") && !line.startsWith("#")) packages++;
          lastLine = line.length > 80 ? `${line.slice(0, 77)}...` : line;
        },
      });
    }
  } finally {
    clearInterval(heartbeat);
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  await writeFile(
    path.join(dir, "complete.json"),
    JSON.stringify(
      { name: build.name, version: build.version, seconds, builtAt: new Date().toISOString() },
      null,
      2,
    ),
  );
  progress(`Built ${build.name} v${build.version} in ${elapsed(started)}`);
}

async function linkBinaries(binDir: string): Promise<void> {
  await mkdir(binDir, { recursive: true });
  const { symlink, readlink, unlink } = await import("node:fs/promises");
  for (const build of builds) {
    for (const binary of build.binaries) {
      const target = path.join(buildDir(build), "bin", binary);
      const link = path.join(binDir, binary);
      const current = await readlink(link).catch(() => undefined);
      if (current === target) continue;
      if (current !== undefined) await unlink(link);
      await symlink(target, link);
    }
  }
}

function elapsed(since: number): string {
  const s = Math.round((Date.now() - since) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** Directory of a module in the Go module cache, downloading it if needed (no build). */
export async function goModuleDir(
  module: string,
  version: string,
  logFile: string,
): Promise<string> {
  requireGo();
  const out = await runGo({
    args: ["mod", "download", "-json", `${module}@v${version}`],
    cwd: toolCacheRoot(),
    logFile,
  });
  const parsed = JSON.parse(out) as { Dir?: string; Error?: string };
  if (parsed.Dir === undefined) {
    throw new ToolchainError(
      `Go could not download ${module}@v${version}: ${parsed.Error ?? "no directory returned"}`,
    );
  }
  return parsed.Dir;
}
