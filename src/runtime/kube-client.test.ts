import { describe, expect, it } from "vitest";
import type { ClusterAccess } from "./cluster-access.ts";
import { KubeClient, WriteFencedError } from "./kube-client.ts";

const closedPort: ClusterAccess = {
  server: "http://127.0.0.1:9",
  credentials: () => Promise.resolve({ tls: {}, headers: {} }),
};

describe("the write fence", () => {
  it("refuses every write without sending it while the lease is not fresh, and lets reads through", async () => {
    const sent: string[] = [];
    let fresh = false;
    const client = new KubeClient(closedPort, (method) => sent.push(method), {
      mayWrite: () => fresh,
    });
    await expect(client.apply("/api/v1/namespaces/a/configmaps/b", {}, "m")).rejects.toThrow(
      WriteFencedError,
    );
    await expect(client.delete("/api/v1/namespaces/a/configmaps/b")).rejects.toThrow(
      /not sent: this replica has not renewed its leader lease recently/,
    );
    expect(sent).toEqual([]);
    // A read is sent (and fails here: port 9 is closed), a write once the lease is fresh too.
    await expect(client.get("/api/v1/namespaces/a")).rejects.not.toThrow(WriteFencedError);
    fresh = true;
    await expect(client.apply("/api/v1/namespaces/a/configmaps/b", {}, "m")).rejects.not.toThrow(
      WriteFencedError,
    );
    expect(sent).toEqual(["GET", "PATCH"]);
    await client.close();
  });
});
