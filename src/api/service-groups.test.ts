import { describe, expect, it } from "vitest";
import { groupLabelKey } from "./group.ts";
import { serviceGroupsCases } from "./service-groups.cases.ts";
import { groupNamePattern, parseServiceGroups, serviceGroupsField } from "./service-groups.ts";

describe("parseServiceGroups", () => {
  it.each(serviceGroupsCases)("$name", ({ value, expect: expected }) => {
    const result = parseServiceGroups(value);
    if ("groups" in expected) {
      expect(result).toEqual({ groups: expected.groups });
    } else {
      expect(result.groups).toBeUndefined();
      expect(result.error).toContain(expected.error);
      expect(result.error).toMatch(new RegExp(`^${serviceGroupsField.replaceAll(".", "\\.")}: `));
    }
  });

  it("says what a group may be when one is invalid", () => {
    expect(parseServiceGroups("Sales Team").error).toBe(
      `spec.options._service_groups: group "Sales Team" is not a valid label name: use at most 63 characters, letters, digits, '-', '_' or '.', starting and ending with a letter or digit; separate groups with commas`,
    );
  });

  it("names the subject it is given", () => {
    expect(parseServiceGroups("a,,b", "option _service_groups").error).toMatch(
      /^option _service_groups: "a,,b" has an empty group name/,
    );
  });

  it("returns only groups that make valid label keys", () => {
    const labelName = new RegExp(groupNamePattern);
    for (const { value } of serviceGroupsCases) {
      for (const group of parseServiceGroups(value).groups ?? []) {
        expect(group).toMatch(labelName);
        expect(groupLabelKey(group)).toBe(`group.callback-operator.io/${group}`);
      }
    }
  });
});
