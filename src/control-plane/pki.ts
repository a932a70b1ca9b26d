import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { ToolchainError } from "./go-toolchain.ts";

/**
 * A throwaway PKI per plane, made with the openssl CLI (Node can make keys but not certificates).
 * One CA signs the serving cert and every client cert; the apiserver maps a client cert's CN to
 * the user name and each O to a group.
 */
export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

function openssl(args: readonly string[], cwd: string): void {
  const result = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (result.error !== undefined) {
    throw new ToolchainError(
      "openssl is not installed: the test control plane needs it to generate its certificates (apt-get install openssl).",
    );
  }
  if (result.status !== 0) {
    throw new Error(`openssl ${args[0] ?? ""} failed: ${result.stderr.trim()}`);
  }
}

export async function createPki(dir: string): Promise<Pki> {
  const pki: Pki = {
    dir,
    caCert: path.join(dir, "ca.crt"),
    caKey: path.join(dir, "ca.key"),
    serverCert: path.join(dir, "apiserver.crt"),
    serverKey: path.join(dir, "apiserver.key"),
    serviceAccountKey: path.join(dir, "sa.key"),
    serviceAccountPub: path.join(dir, "sa.pub"),
  };
  if (existsSync(pki.serverCert)) return pki;
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "30",
      "-subj",
      "/CN=callback-operator-test-ca",
    ],
    dir,
  );
  await writeFile(
    path.join(dir, "apiserver.ext"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
  );
  openssl(
    [
      "req",
      ...ec,
      "-keyout",
      "apiserver.key",
      "-out",
      "apiserver.csr",
      "-subj",
      "/CN=kube-apiserver",
    ],
    dir,
  );
  signCsr(dir, "apiserver", "apiserver.ext");
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sa.key"], dir);
  openssl(["ec", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  return pki;
}

function signCsr(dir: string, base: string, extFile: string): void {
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${base}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${base}.crt`,
      "-days",
      "30",
      "-extfile",
      extFile,
    ],
    dir,
  );
}

export interface ClientCert {
  readonly cert: string;
  readonly key: string;
}

/** A client certificate for `user` in `groups`: how tests act as a restricted user. */
export async function createClientCert(
  pki: Pick<Pki, "dir">,
  user: string,
  groups: readonly string[],
): Promise<ClientCert> {
  const base = `client-${user.replace(/[^a-zA-Z0-9.-]/g, "_")}`;
  const subject = `/CN=${user}${groups.map((g) => `/O=${g}`).join("")}`;
  await writeFile(path.join(pki.dir, `${base}.ext`), "extendedKeyUsage=clientAuth\n");
  openssl(
    [
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${base}.key`,
      "-out",
      `${base}.csr`,
      "-subj",
      subject,
    ],
    pki.dir,
  );
  signCsr(pki.dir, base, `${base}.ext`);
  return { cert: path.join(pki.dir, `${base}.crt`), key: path.join(pki.dir, `${base}.key`) };
}
