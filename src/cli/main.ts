// The one entry point of the image and of `npx callback-operator`: each subcommand lives in the
// module of its concern and is loaded only when asked for, so `render` never loads the server.
const commands: Record<string, () => Promise<{ run: (argv: string[]) => Promise<void> }>> = {
  operator: () => import("./operator.ts"),
  "callback-api": () => import("../callback-api/main.ts"),
  console: () => import("../console/command.ts"),
  render: () => import("./render.ts"),
  generate: () => import("./generate.ts"),
  demo: () => import("./demo.ts"),
};

const usage = `Usage: callback-operator <command> [flags]

Commands:
${Object.keys(commands)
  .map((name) => `  ${name}`)
  .join("\n")}

Run "callback-operator <command> --help" for the flags of a command.`;

const [name, ...rest] = process.argv.slice(2);
const load = name === undefined ? undefined : commands[name];
if (load === undefined) {
  process.stderr.write(`${name === undefined ? "" : `Unknown command "${name}".\n\n`}${usage}\n`);
  process.exitCode = name === undefined || name === "--help" ? 0 : 2;
} else {
  const command = await load();
  await command.run(rest);
}
