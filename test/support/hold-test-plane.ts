// Starts a test plane as a test run would, prints it as JSON and waits to be killed: the lifecycle
// test SIGKILLs this process to prove that a dead run leaves nothing running.
import { startTestPlane } from "../../src/control-plane/test-plane.ts";

const plane = await startTestPlane(() => undefined);
process.stdout.write(`${JSON.stringify({ state: plane.state, guardianPid: plane.guardianPid })}\n`);
setInterval(() => undefined, 60_000);
