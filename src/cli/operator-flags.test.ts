import { describe, expect, it } from "vitest";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { operatorOptions } from "./operator.ts";
import { FlagError } from "../runtime/flags.ts";

const kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), "operator-flags-")), "kubeconfig");
writeFileSync(
  kubeconfig,
  [
    "apiVersion: v1",
    "kind: Config",
    "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]",
    "users: [{name: u, user: {token: t}}]",
    "contexts: [{name: x, context: {cluster: c, user: u}}]",
    "current-context: x",
  ].join("\n"),
);

function options(...argv: string[]) {
  const result = operatorOptions([`--kubeconfig=${kubeconfig}`, ...argv], {});
  if (result === "help") throw new Error("unexpected help");
  return result;
}

describe("--default-database-secret", () => {
  it("is unset by default: services without a database Secret use embedded PGlite", () => {
    expect(options().render.defaultDatabaseSecret).toBeUndefined();
  });

  it("names a Secret and, optionally, its key", () => {
    expect(options("--default-database-secret=callback-db").render.defaultDatabaseSecret).toEqual({
      name: "callback-db",
      key: "url",
    });
    expect(
      options("--default-database-secret=callback-db", "--default-database-secret-key=dsn").render
        .defaultDatabaseSecret,
    ).toEqual({ name: "callback-db", key: "dsn" });
  });

  it("rejects names Kubernetes would refuse, naming the flag and the fix", () => {
    expect(() => options("--default-database-secret=Callback_DB")).toThrow(FlagError);
    expect(() => options("--default-database-secret=Callback_DB")).toThrow(
      /--default-database-secret "Callback_DB" is invalid: use a Secret name/,
    );
    expect(() =>
      options("--default-database-secret=db", "--default-database-secret-key=a/b"),
    ).toThrow(/--default-database-secret-key "a\/b" is invalid/);
  });
});

describe("--admin-credentials-secret", () => {
  it("is unset by default (admin endpoints off) and names a Secret, also from its environment variable", () => {
    expect(options().render.adminCredentialsSecret).toBeUndefined();
    expect(options("--admin-credentials-secret=callback-admin").render.adminCredentialsSecret).toBe(
      "callback-admin",
    );
    const fromEnv = operatorOptions([`--kubeconfig=${kubeconfig}`], {
      CALLBACK_OPERATOR_ADMIN_CREDENTIALS_SECRET: "admin.creds",
    });
    expect(fromEnv !== "help" && fromEnv.render.adminCredentialsSecret).toBe("admin.creds");
  });

  it("rejects a name Kubernetes would refuse, naming the flag and the fix", () => {
    expect(() => options("--admin-credentials-secret=Admin_Creds")).toThrow(
      /--admin-credentials-secret "Admin_Creds" is invalid: use a Secret name/,
    );
  });
});

describe("--default-storage-size and --default-storage-class", () => {
  it("default to 1Gi on the cluster's default StorageClass", () => {
    expect(options().render).toMatchObject({ defaultStorageSize: "1Gi", defaultStorageClass: "" });
  });

  it("take a size and a StorageClass name", () => {
    expect(
      options("--default-storage-size=5Gi", "--default-storage-class=fast-ssd").render,
    ).toMatchObject({ defaultStorageSize: "5Gi", defaultStorageClass: "fast-ssd" });
  });

  it("refuse what is not a size or a StorageClass name, naming the flag and the fix", () => {
    expect(() => options("--default-storage-size=lots")).toThrow(
      /--default-storage-size "lots" is invalid: use a size such as 1Gi/,
    );
    expect(() => options("--default-storage-class=Fast_SSD")).toThrow(
      /--default-storage-class "Fast_SSD" is invalid: use a StorageClass name/,
    );
  });
});
