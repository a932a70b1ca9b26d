import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";

export type KubeconfigUser =
  { readonly clientCertificate: string; readonly clientKey: string } | { readonly token: string };

/** Writes a one-context kubeconfig that every client here reads: client-node, kubectl, KCM, kwok. */
export async function writeKubeconfig(
  file: string,
  server: string,
  /** A CA file path, or inline base64 data (as kind writes it). */
  ca: { readonly file: string } | { readonly data: string },
  userName: string,
  user: KubeconfigUser,
): Promise<void> {
  const userEntry =
    "token" in user
      ? { token: user.token }
      : { "client-certificate": user.clientCertificate, "client-key": user.clientKey };
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "callback-operator-test",
        cluster: {
          server,
          ...("file" in ca
            ? { "certificate-authority": ca.file }
            : { "certificate-authority-data": ca.data }),
        },
      },
    ],
    users: [{ name: userName, user: userEntry }],
    contexts: [{ name: userName, context: { cluster: "callback-operator-test", user: userName } }],
    "current-context": userName,
  };
  await writeFile(file, stringify(config), { mode: 0o600 });
}
