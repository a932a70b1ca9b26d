import { describe, expect, it } from "vitest";
import { celMessage, celString } from "./cel.ts";

describe("celString", () => {
  it("quotes and escapes", () => {
    expect(celString(`it's a \\ "test"`)).toBe(`'it\\'s a \\\\ "test"'`);
  });
});

describe("celMessage", () => {
  it("splices CEL expressions into the text of a TypeScript message", () => {
    const message = (name: string, value: string): string => `option "${name}": "${value}" is bad`;
    expect(celMessage(message, "self.name", "self.default")).toBe(
      `'option "' + (self.name) + '": "' + (self.default) + '" is bad'`,
    );
  });

  it("handles a message without expressions, or that starts with one", () => {
    expect(celMessage(() => "plain")).toBe(`'plain'`);
    expect(celMessage((v) => v, "self")).toBe("(self)");
  });
});
