// A string-keyed map with a bounded number of entries. zod records have no size bound of their own:
// the bound is checked by a refinement and emitted as the CRD's maxProperties.
import { z } from "zod";

export function boundedMap<V extends z.ZodType>(value: V, maxProperties: number) {
  return z
    .record(z.string(), value)
    .refine((map) => Object.keys(map).length <= maxProperties, {
      message: `at most ${maxProperties} entries are allowed`,
    })
    .meta({ maxProperties });
}

/** A map of strings, each at most `maxLength` characters. */
export function stringMap(maxProperties: number, maxLength: number) {
  return boundedMap(z.string().max(maxLength), maxProperties);
}
