import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { CallbackService } from "../api/callback-service.ts";
import { ManualClock } from "../runtime/clock.ts";
import { Audit } from "./audit.ts";
import type { ConsoleService } from "./cluster.ts";

function service(namespace: string, name: string): ConsoleService {
  return {
    namespace,
    name,
    groups: [],
    url: "http://127.0.0.1:1",
    ready: true,
    aliases: {},
    object: { metadata: { name, namespace } } as CallbackService,
  };
}

function audit(): { audit: Audit; lines: () => unknown[] } {
  let text = "";
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  const log = pino({ base: null, timestamp: false }, sink);
  return {
    audit: new Audit(log, undefined, new ManualClock("2030-03-04T10:00:00.000Z")),
    lines: () =>
      text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown),
  };
}

describe("Audit", () => {
  it("logs each action as one line and lists the newest first, of the services asked for", async () => {
    const { audit: log, lines } = audit();
    await log.record("sam", "cancel", service("east", "support"), ["A1"], "cancelled");
    await log.record("ann", "export", service("west", "sales"), ["B1", "B2"], "2 exported");
    expect(lines()[0]).toEqual({
      level: 30,
      msg: "Audit",
      audit: {
        at: "2030-03-04T10:00:00.000Z",
        user: "sam",
        action: "cancel",
        service: "east/support",
        ids: ["A1"],
        result: "cancelled",
      },
    });
    expect(log.entries(() => true).map((e) => e.user)).toEqual(["ann", "sam"]);
    expect(log.entries((key) => key === "east/support").map((e) => e.user)).toEqual(["sam"]);
  });

  it("keeps the last 1,000 entries, each with at most 250 ids, while the log names them all", async () => {
    const { audit: log, lines } = audit();
    const ids = Array.from({ length: 300 }, (_, i) => `ID${i}`);
    await log.record("sam", "export", service("east", "support"), ids, "300 exported");
    const [kept] = log.entries(() => true);
    expect(kept?.ids).toHaveLength(250);
    expect(kept?.result).toBe("300 exported (300 ids, first 250 kept)");
    expect((lines()[0] as { audit: { ids: string[] } }).audit.ids).toHaveLength(300);
    for (let i = 0; i < 1000; i++)
      await log.record("sam", "cancel", service("east", "support"), [`C${i}`], "cancelled");
    const entries = log.entries(() => true);
    expect(entries).toHaveLength(1000);
    expect(entries.at(-1)?.ids).toEqual(["C0"]);
  });
});
