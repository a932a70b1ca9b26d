// The parts of ObjectMeta the operator reads. Only for TypeScript: a CRD schema leaves metadata to
// the apiserver. Unknown fields are kept, so an object read from the API survives a parse.
import { z } from "zod";

export const objectMetaSchema = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
