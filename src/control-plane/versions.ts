// Every version of the test control plane, pinned in one place. The cache is keyed by these, so a
// bump here rebuilds exactly what changed. Why these versions: docs/adr/0003-control-plane-from-go-modules.md.
export const versions = {
  kubernetes: "1.37.2",
  etcd: "3.7.3",
  kwok: "0.8.0",
  gatewayApi: "1.6.3",
  /** Helm for the chart tests only; v4 is the newest major whose go directive (1.26.0) we accept. */
  helm: "4.3.1",
  /** The real node's container runtime (issue 15, docs/adr/0070-a-real-node-beside-kwok.md). */
  containerd: "2.4.2",
  cniPlugins: "1.10.0",
  /** The image assembler's library (`npm run image`, the node's pause image). */
  goContainerRegistry: "0.22.1",
  /** The `go` directive of the wrapper modules: the newest that every pinned module accepts. */
  goDirective: "1.26.0",
  /** The oldest Go toolchain that builds all of the above. */
  minimumGo: "1.26.0",
  /** The real node's tools need more: the CNI plugins' go.mod says go 1.26.8, containerd's 1.26.6. */
  minimumGoForNode: "1.26.8",
} as const;

/** Staging repositories of k8s.io/kubernetes; it requires each at v0.0.0, so each needs a replace. */
export const kubernetesStagingModules = [
  "api",
  "apiextensions-apiserver",
  "apimachinery",
  "apiserver",
  "cli-runtime",
  "client-go",
  "cloud-provider",
  "cluster-bootstrap",
  "code-generator",
  "component-base",
  "component-helpers",
  "controller-manager",
  "cri-api",
  "cri-client",
  "cri-streaming",
  "csi-translation-lib",
  "dynamic-resource-allocation",
  "endpointslice",
  "externaljwt",
  "kms",
  "kube-aggregator",
  "kube-controller-manager",
  "kube-proxy",
  "kube-scheduler",
  "kubectl",
  "kubelet",
  "metrics",
  "mount-utils",
  "pod-security-admission",
  "sample-apiserver",
  "sample-cli-plugin",
  "sample-controller",
  "streaming",
] as const;
