// `_disallow_impossible_phone_numbers` and `_disallow_premium_phone_numbers`, judged with
// `_default_country` by libphonenumber (the "max" metadata, which knows number types). Messages are
// the ones GMS answers with (GMS phone-number validation functional tests).
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import { CallbackError } from "./errors.ts";
import type { ServiceOptions } from "./options.ts";

export function checkCustomerNumber(number: string, options: ServiceOptions): void {
  const rules: [boolean, string][] = [
    [options.disallowImpossibleNumbers, "_disallow_impossible_phone_numbers"],
    [options.disallowPremiumNumbers, "_disallow_premium_phone_numbers"],
  ];
  const active = rules.filter(([enabled]) => enabled);
  const first = active[0];
  if (first === undefined) return;
  if (options.defaultCountry === "") {
    throw new CallbackError(
      "CallbackExceptionNumber",
      `Service option ${options.serviceName} / _default_country is not configured. But option ${first[1]} is set. We cannot validate phone numbers without knowing the country.`,
    );
  }
  const parsed = parsePhoneNumberFromString(number, options.defaultCountry as CountryCode);
  if (options.disallowImpossibleNumbers && parsed?.isPossible() !== true) {
    throw new CallbackError(
      "CallbackExceptionNumber",
      `Customer Number [${number}] is disallowed, because it is invalid. Check option _disallow_impossible_phone_numbers`,
    );
  }
  if (options.disallowPremiumNumbers && parsed?.getType() === "PREMIUM_RATE") {
    throw new CallbackError(
      "CallbackExceptionNumber",
      `Customer Number [${number}] is disallowed, because it's a premium number. Check option _disallow_premium_phone_numbers`,
    );
  }
}
