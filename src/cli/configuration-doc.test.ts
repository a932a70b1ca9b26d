import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { operatorFlags } from "./operator.ts";

const doc = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");

describe("docs/configuration.md", () => {
  it.each(operatorFlags.filter((f) => f.name !== "help").map((f) => [f.name, f.env] as const))(
    "documents --%s and %s",
    (name, env) => {
      // Prettier pads the table's cells, so the row is matched with any spacing.
      expect(doc).toMatch(new RegExp(`\\|\\s*\`--${name}\`\\s*\\|\\s*\`${env}\`\\s*\\|`));
    },
  );
});
