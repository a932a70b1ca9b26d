// Setup file of every test project: the program guard in each worker (see program-guard.ts).
import { installProgramGuard } from "./program-guard.ts";

installProgramGuard();
