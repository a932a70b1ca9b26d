// `_customer_number` as one canonical E.164 number, before any rule, lock, count, throttle or
// storage sees it: national and international forms, punctuation, `tel:` URIs and non-ASCII digits
// of one number are one number. `_disallow_impossible_phone_numbers` and
// `_disallow_premium_phone_numbers` are judged with `_default_country` by libphonenumber (the "max"
// metadata, which knows number types); their messages are the ones GMS answers with (GMS
// phone-number validation functional tests).
import {
  isSupportedCountry,
  parsePhoneNumberFromString,
  type PhoneNumber,
} from "libphonenumber-js/max";
import { CallbackError } from "./errors.ts";
import type { ServiceOptions } from "./options.ts";

/** Unicode decimal digits come in runs of ten, zero first; this is the digit's place in its run. */
function asciiDigit(char: string): string {
  let start = char.codePointAt(0) ?? 0;
  while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
  return String(((char.codePointAt(0) ?? 0) - start) % 10);
}

/** Any script's decimal digits as ASCII, and compatibility forms (fullwidth `＋`, NBSP) folded. */
export function foldDigits(text: string): string {
  return text
    .normalize("NFKC")
    .replace(/\p{Nd}/gu, (char) => (/[0-9]/.test(char) ? char : asciiDigit(char)));
}

/** What a number may be written with: digits, spaces, `( ) - . /` and Unicode dashes, one leading `+`. */
const NUMBER_TEXT = /^\+?[0-9 ().\-/\u2010-\u2015\u2212]*[0-9][0-9 ().\-/\u2010-\u2015\u2212]*$/;

function numberError(input: string, why: string): CallbackError {
  return new CallbackError(
    "CallbackExceptionNumber",
    `Invalid _customer_number [${input.slice(0, 64)}]: ${why}`,
  );
}

/** `_default_country` as libphonenumber takes it; empty when configured empty (no number rule can run). */
function defaultCountry(options: ServiceOptions): string {
  return options._default_country.trim().toUpperCase();
}

/**
 * The one phone number `input` is, parsed with `_default_country`, or why not. Free text around a
 * number, an extension, letters, or two numbers are refused: what is stored is dialled.
 */
function parseOne(input: string, options: ServiceOptions): PhoneNumber | CallbackError {
  let text = foldDigits(input).trim();
  if (/^tel:/i.test(text)) {
    text = text.slice(4);
    if (text.includes(";")) {
      return numberError(
        input,
        /;\s*ext=/i.test(text)
          ? "extensions are not accepted; send the number alone."
          : "tel: URIs with parameters are not accepted; send the number alone.",
      );
    }
  }
  if (!NUMBER_TEXT.test(text)) {
    return numberError(
      input,
      "expected one phone number (digits, spaces, ( ) - . /, a leading + or tel:), without an extension or other text.",
    );
  }
  const country = defaultCountry(options);
  if (!text.startsWith("+") && !isSupportedCountry(country)) {
    return numberError(
      input,
      `a national number needs a country: set option _default_country to an ISO 3166 code such as US (it is "${country.slice(0, 8)}"), or send the number with + and its country code.`,
    );
  }
  const parsed = parsePhoneNumberFromString(text, {
    ...(isSupportedCountry(country) ? { defaultCountry: country } : {}),
    extract: false,
  });
  if (parsed?.ext !== undefined) return numberError(input, "extensions are not accepted.");
  return (
    parsed ??
    numberError(input, "it is not a phone number (too short, too long, or no country code).")
  );
}

/**
 * The canonical E.164 form of a start request's `_customer_number`, or a GMS
 * `CallbackExceptionNumber`. With `_disallow_impossible_phone_numbers=false` a number libphonenumber
 * judges impossible is still accepted in its E.164 form (`+` country code, national digits), so one
 * number written two ways is still counted once; free text is refused either way.
 */
export function normaliseCustomerNumber(input: string, options: ServiceOptions): string {
  const rules: [boolean, string][] = [
    [options._disallow_impossible_phone_numbers, "_disallow_impossible_phone_numbers"],
    [options._disallow_premium_phone_numbers, "_disallow_premium_phone_numbers"],
  ];
  const first = rules.find(([enabled]) => enabled);
  if (first !== undefined && defaultCountry(options) === "") {
    throw new CallbackError(
      "CallbackExceptionNumber",
      `Service option ${options.serviceName} / _default_country is not configured. But option ${first[1]} is set. We cannot validate phone numbers without knowing the country.`,
    );
  }
  const parsed = parseOne(input, options);
  if (parsed instanceof CallbackError) throw parsed;
  const shown = input.slice(0, 64);
  if (options._disallow_impossible_phone_numbers && !parsed.isPossible()) {
    throw new CallbackError(
      "CallbackExceptionNumber",
      `Customer Number [${shown}] is disallowed, because it is invalid. Check option _disallow_impossible_phone_numbers`,
    );
  }
  if (options._disallow_premium_phone_numbers && parsed.getType() === "PREMIUM_RATE") {
    throw new CallbackError(
      "CallbackExceptionNumber",
      `Customer Number [${shown}] is disallowed, because it's a premium number. Check option _disallow_premium_phone_numbers`,
    );
  }
  return parsed.number;
}

/**
 * A `_customer_number` in a query, in the form records store: its E.164 form when it is one number,
 * else the text as given (which then matches no record).
 */
export function customerNumberForQuery(input: string, options: ServiceOptions): string {
  const parsed = parseOne(input, options);
  return parsed instanceof CallbackError ? input : parsed.number;
}
