// The `_service_groups` values both test layers use: service-groups.test.ts checks what
// parseServiceGroups returns for each, and test/integration/api-validation.test.ts checks that the
// apiserver's CEL rules accept and reject exactly the same values with the same messages.
import { limits } from "./limits.ts";

export interface ServiceGroupsCase {
  readonly name: string;
  readonly value: string;
  /** The groups parseServiceGroups returns, or a fragment of its error. */
  readonly expect: { readonly groups: readonly string[] } | { readonly error: string };
}

const many = (count: number): string =>
  Array.from({ length: count }, (_, i) => `group-${i}`).join(",");

export const serviceGroupsCases: readonly ServiceGroupsCase[] = [
  { name: "one group", value: "support", expect: { groups: ["support"] } },
  {
    name: "the GMS docs' spelling, a space after the comma",
    value: "support, blackfriday",
    expect: { groups: ["support", "blackfriday"] },
  },
  {
    name: "spaces around every group",
    value: "  support ,  sales  ",
    expect: { groups: ["support", "sales"] },
  },
  {
    name: "label-name punctuation inside",
    value: "tier.1_support-eu",
    expect: { groups: ["tier.1_support-eu"] },
  },
  { name: "mixed case", value: "Support,EMEA", expect: { groups: ["Support", "EMEA"] } },
  {
    name: "case-sensitive names are distinct",
    value: "sales,Sales",
    expect: { groups: ["sales", "Sales"] },
  },
  { name: "a single character", value: "a", expect: { groups: ["a"] } },
  { name: "63 characters", value: "a".repeat(63), expect: { groups: ["a".repeat(63)] } },
  {
    name: `${limits.serviceGroups} groups`,
    value: many(limits.serviceGroups),
    expect: { groups: many(limits.serviceGroups).split(",") },
  },
  {
    name: "a space inside a group",
    value: "Sales Team",
    expect: { error: 'group "Sales Team" is not a valid label name' },
  },
  {
    name: "a space inside the second group",
    value: "support, Sales Team",
    expect: { error: 'group "Sales Team" is not a valid label name' },
  },
  {
    name: "64 characters",
    value: "b".repeat(64),
    expect: { error: `group "${"b".repeat(64)}" is not a valid label name` },
  },
  {
    name: "an empty entry",
    value: "support,,sales",
    expect: { error: '"support,,sales" has an empty group name' },
  },
  {
    name: "a trailing comma",
    value: "support,",
    expect: { error: '"support," has an empty group name' },
  },
  {
    name: "a leading comma",
    value: ",support",
    expect: { error: '",support" has an empty group name' },
  },
  {
    name: "an entry of spaces only",
    value: "support,  ,sales",
    expect: { error: "has an empty group name" },
  },
  { name: "an empty value", value: "", expect: { error: "the value is empty" } },
  { name: "spaces only", value: "   ", expect: { error: "the value is empty" } },
  {
    name: "repeated",
    value: "support,support",
    expect: { error: 'group "support" is listed more than once' },
  },
  {
    name: "repeated after trimming",
    value: "support, sales,support ",
    expect: { error: 'group "support" is listed more than once' },
  },
  {
    name: "starts with '-'",
    value: "-support",
    expect: { error: 'group "-support" is not a valid label name' },
  },
  {
    name: "ends with '.'",
    value: "support.",
    expect: { error: 'group "support." is not a valid label name' },
  },
  {
    name: "a semicolon separator",
    value: "support;sales",
    expect: { error: 'group "support;sales" is not a valid label name' },
  },
  {
    name: "a space separator",
    value: "support sales",
    expect: { error: 'group "support sales" is not a valid label name' },
  },
  {
    name: "a pipe separator",
    value: "support|sales",
    expect: { error: 'group "support|sales" is not a valid label name' },
  },
  {
    name: "a slash",
    value: "team/support",
    expect: { error: 'group "team/support" is not a valid label name' },
  },
  {
    name: "a tab after the comma",
    value: "support,\tsales",
    expect: { error: 'group "sales" is not a valid label name' },
  },
  {
    name: "non-ASCII letters",
    value: "süpport",
    expect: { error: 'group "süpport" is not a valid label name' },
  },
  {
    name: `${limits.serviceGroups + 1} groups`,
    value: many(limits.serviceGroups + 1),
    expect: { error: `more than ${limits.serviceGroups} groups are listed` },
  },
];
