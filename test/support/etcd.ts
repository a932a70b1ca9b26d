// etcd of the local test plane, through its JSON gateway (plain HTTP on loopback): compaction, to
// make a resourceVersion too old for any watch to resume from (410 Gone).
import { readState } from "../../src/control-plane/control-plane.ts";

async function etcdUrl(planeDir: string): Promise<string> {
  const port = (await readState(planeDir))?.ports["etcdClient"];
  if (port === undefined) throw new Error(`No etcd in the plane at ${planeDir}`);
  return `http://127.0.0.1:${String(port)}`;
}

async function post<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, { method: "POST", body: JSON.stringify(body) });
  if (!response.ok)
    throw new Error(`${url}: HTTP ${String(response.status)} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Compacts etcd's history up to its current revision; returns that revision. */
export async function compactEtcd(planeDir: string): Promise<number> {
  const base = await etcdUrl(planeDir);
  const range = await post<{ header: { revision: string } }>(`${base}/v3/kv/range`, {
    key: Buffer.from("/").toString("base64"),
    limit: 1,
  });
  const revision = Number(range.header.revision);
  await post(`${base}/v3/kv/compaction`, { revision: String(revision), physical: true });
  return revision;
}
