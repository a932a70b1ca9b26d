// A client-go exec credential plugin for the tests of cluster-access.ts: prints an ExecCredential
// holding the token in $TOKEN, expiring in an hour, and appends a line to $RUNS so that a test
// can count how often it ran. With $FAIL set it refuses, as a plugin whose login expired does.
import { appendFileSync } from "node:fs";

const runs = process.env["RUNS"];
if (runs !== undefined) appendFileSync(runs, "run\n");
if (process.env["FAIL"] !== undefined) {
  process.stderr.write("the login of this plugin expired: run the login command again\n");
  process.exit(1);
}
process.stdout.write(
  JSON.stringify({
    apiVersion: "client.authentication.k8s.io/v1",
    kind: "ExecCredential",
    status: {
      token: process.env["TOKEN"],
      expirationTimestamp: new Date(Date.now() + 3_600_000).toISOString(),
    },
  }),
);
