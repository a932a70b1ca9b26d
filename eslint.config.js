// Type-aware linting (typescript-eslint strictTypeChecked) is why TypeScript is pinned to 6.0:
// see docs/adr/0002-typescript-6-and-type-aware-lint.md.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "build/", ".cluster/", "coverage/", "bin/"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      complexity: ["error", 20],
      "max-depth": ["error", 4],
      "max-params": ["error", 5],
    },
  },
  {
    files: ["**/*.test.ts", "test/**/*.ts"],
    rules: {
      // Tests probe shapes of JSON the apiserver returns; narrowing every step adds noise, not safety.
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  { files: ["*.js", "*.mjs"], ...tseslint.configs.disableTypeChecked },
);
