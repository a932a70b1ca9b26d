import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { generateCommand, generatedFiles, yamlFile } from "./generated-files.ts";

const root = path.join(import.meta.dirname, "../..");

describe("generated files", () => {
  it.each(generatedFiles().map((file) => [file.path, file.content]))(
    "%s is up to date",
    async (file, content) => {
      const onDisk = await readFile(path.join(root, file), "utf8").catch(() => "(missing)");
      // Not toBe(): a diff of hundreds of YAML lines would bury the instruction.
      if (onDisk !== content) {
        expect.fail(`${file} is stale or missing: run ${generateCommand} and commit the result`);
      }
    },
  );

  it("start with a header saying they are generated and how", () => {
    for (const file of generatedFiles()) {
      const [, second] = file.content.split("\n");
      expect(second).toContain(`Generated from src/api/ by \`${generateCommand}\``);
      expect(parse(file.content)).toBeTypeOf("object");
    }
  });

  it("quote strings kubectl's YAML 1.1 would read as booleans", () => {
    const { content } = yamlFile("x.yaml", "Test.", { values: ["y", "yes", "on", "ors"] });
    expect(content).toContain('- "yes"');
    expect(content).toContain('- "y"');
    expect(content).toContain("- ors");
  });
});
