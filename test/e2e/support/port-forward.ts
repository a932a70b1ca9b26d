// `kubectl port-forward` as the e2e tests use it: the only way they reach a pod (a listener on
// 127.0.0.1 that the apiserver, the kubelet and containerd carry into the pod's namespace).
import { spawn, type ChildProcess } from "node:child_process";
import { inject } from "vitest";

export interface PortForward {
  /** The local port on 127.0.0.1. */
  readonly port: number;
  readonly base: string;
  readonly child: ChildProcess;
  stop(): void;
}

/** Forwards a free local port to `target` (pod/NAME) port `remotePort` in `namespace`. */
export function portForward(
  namespace: string,
  target: string,
  remotePort: number,
): Promise<PortForward> {
  const child = spawn(
    inject("kubectl"),
    [
      `--kubeconfig=${inject("kubeconfig")}`,
      "port-forward",
      "-n",
      namespace,
      "--address=127.0.0.1",
      target,
      `:${remotePort}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`kubectl port-forward ${target} printed no port in 30 s: ${output}`));
    }, 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      const port = Number(match[1]);
      resolve({
        port,
        base: `http://127.0.0.1:${port}`,
        child,
        stop: () => child.kill(),
      });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward ${target} exited with ${String(code)}: ${output}`));
    });
  });
}
