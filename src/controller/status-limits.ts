// What the operator writes into a status must fit the CRD's bounds (src/api/limits.ts): the
// apiserver refuses a whole status with one field too long, and the reconcile would then fail and
// be retried for ever, the service never showing why. Messages and warnings built from user input
// (every problem of a large template, a hundred undeclared options, the apiserver's own refusal)
// can exceed them, so they are cut here, saying so.
import { limits } from "../api/limits.ts";

/**
 * `text` cut to at most `maxBytes` bytes of UTF-8 (the stricter reading of the CRD's maxLength),
 * never inside a character, ending with a note of how long the full text was.
 */
export function fitText(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const characters = Array.from(text);
  const note = ` … (cut: ${String(characters.length)} characters in all)`;
  let budget = maxBytes - Buffer.byteLength(note);
  let kept = "";
  for (const character of characters) {
    budget -= Buffer.byteLength(character);
    if (budget < 0) break;
    kept += character;
  }
  return `${kept}${note}`;
}

/** A condition message that fits status.conditions[].message. */
export const fitMessage = (message: string): string => fitText(message, limits.conditionMessage);

/**
 * Warnings that fit status.warnings: each cut to the length of one, and at most as many as the
 * list holds, the last saying how many were left out.
 */
export function fitWarnings(warnings: readonly string[]): string[] {
  const fitted = warnings.map((warning) => fitText(warning, limits.warning));
  if (fitted.length <= limits.warnings) return fitted;
  const shown = fitted.slice(0, limits.warnings - 1);
  return [...shown, `… and ${String(fitted.length - shown.length)} more warnings, not shown`];
}

/**
 * The requested-at annotation as status.lastHandledReconcileAt echoes it, or a warning when it is
 * too long to echo (the service is reconciled all the same).
 */
export function requestedAtEcho(
  annotation: string,
  value: string | undefined,
): { readonly echo?: string; readonly warning?: string } {
  if (value === undefined) return {};
  if (Buffer.byteLength(value) <= limits.timestamp) return { echo: value };
  return {
    warning: `metadata.annotations["${annotation}"]: the value has ${String(Buffer.byteLength(value))} bytes; status.lastHandledReconcileAt echoes at most ${String(limits.timestamp)}, so it is not echoed; use a timestamp, e.g. 2026-11-25T12:00:00Z`,
  };
}
