// The entry point's upstream table from the real kube-apiserver (docs/adr/0106): every
// CallbackService that runs a Callback API in the watched namespaces, at the Service the operator
// renders for it; section-only services (office hours) and other namespaces are not upstreams.
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DiscoveredUpstreams } from "../../src/callback-api/entry/discovery.ts";
import { KubeClient } from "../../src/runtime/kube-client.ts";
import {
  startEntry,
  stopServer,
  type EntryProcess,
} from "../callback-api/support/server-process.ts";
import {
  adminAccess,
  createNamespace,
  installCrds,
  kubeconfigPath,
  kubectl,
  kubectlJson,
} from "../support/cluster.ts";
import { startOperator, type RunningOperator } from "../support/operator.ts";

const examples = path.join(import.meta.dirname, "../../examples");
const poll = { timeout: 60_000, interval: 250 };
let operator: RunningOperator;
let client: KubeClient;
const stop = new AbortController();
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  installCrds();
  operator = await startOperator("entry-discovery");
  client = new KubeClient(adminAccess());
});

afterAll(async () => {
  stop.abort();
  for (const cleanup of cleanups.reverse()) await cleanup();
  await client.close();
  await operator.stop();
});

it("lists the CallbackServices with a Callback API, at the Service the operator renders", async () => {
  const watched = createNamespace("entry");
  const other = createNamespace("entry-other");
  for (const file of ["callback-support.yaml", "office-hours.yaml"])
    kubectl(["apply", "--server-side", "-n", watched, "-f", path.join(examples, file)]);
  kubectl([
    "apply",
    "--server-side",
    "-n",
    other,
    "-f",
    path.join(examples, "callback-support.yaml"),
  ]);

  const discovered = new DiscoveredUpstreams(client, {
    namespaces: [watched],
    clusterDomain: "cluster.example",
    log: pino({ level: "silent" }),
  });
  await discovered.start(stop.signal);
  expect(discovered.synced).toBe(true);
  const expected = [
    {
      name: `${watched}/callback-support`,
      url: `http://callback-support.${watched}.svc.cluster.example:80`,
    },
  ];
  // Once the operator has reconciled it (status.url), and only it: office-hours runs no API.
  await expect.poll(() => discovered.current(), poll).toEqual(expected);
  const service = kubectlJson<{ spec: { ports: { port: number }[] } }>([
    "get",
    "service",
    "callback-support",
    "-n",
    watched,
    "-o",
    "json",
  ]);
  expect(service.spec.ports.map((port) => port.port)).toEqual([80]);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(discovered.current()).toEqual(expected);

  // The entry point itself, discovering: the service cannot be reached from this machine (cluster
  // DNS), and the answer names it rather than leaving it out.
  const entry: EntryProcess = await startEntry([
    "--kubeconfig",
    kubeconfigPath(),
    "--namespaces",
    watched,
    "--upstream-timeout",
    "2s",
  ]);
  cleanups.push(() => stopServer(entry));
  await expect
    .poll(async () => await (await fetch(`${entry.base}/readyz`)).json(), poll)
    .toEqual({ status: "ready", upstreams: 1 });
  const answer = await fetch(`${entry.base}/genesys/1/service/callback?_id=x`);
  expect(answer.status).toBe(503);
  expect(await answer.text()).toContain(`${watched}/callback-support`);

  kubectl(["delete", "callbackservice", "callback-support", "-n", watched, "--wait=false"]);
  await expect.poll(() => discovered.current(), poll).toEqual([]);
});
