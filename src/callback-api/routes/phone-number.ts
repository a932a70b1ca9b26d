// GMS Phone Number Validation API, `GET /genesys/1/phonenumber?number=&country=&geocodingLocale=`
// (gms-reference-2.md §7.1, https://docs.genesys.com/Documentation/GMS/latest/API/PhoneNumberValidationAPI):
// GMS wraps Google's libphonenumber; this wraps libphonenumber-js with the same "max" metadata the
// start request's number rules use. `country` defaults to US; a number that does not parse is a 400
// with GMS's own exception and message. The response keys GMS documents begin `language-specified`,
// `number-specified`, `country-default` and include `location`; the others are ours
// (docs/callback-api.md, "GMS fidelity choices").
import type { FastifyInstance } from "fastify";
import { isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { AppContext } from "../app-context.ts";
import { CallbackError } from "../errors.ts";
import { foldDigits } from "../phone.ts";
import { own, queryParams } from "../request-params.ts";

/** Bounds of each parameter: a formatted number, an ISO 3166 code, a BCP 47 language tag. */
export const PHONE_NUMBER_LIMITS = { number: 64, country: 2, geocodingLocale: 35 } as const;

const DEFAULT_COUNTRY = "US";
/** GMS does not document the default; the region is named in English unless asked otherwise. */
const DEFAULT_LOCALE = "en";

function invalid(message: string): CallbackError {
  return new CallbackError("GSGException", message);
}

function param(
  params: Readonly<Record<string, string>>,
  key: keyof typeof PHONE_NUMBER_LIMITS,
): string | undefined {
  const value = own(params, key);
  if (value !== undefined && value.length > PHONE_NUMBER_LIMITS[key]) {
    throw invalid(
      `Invalid parameter ${key}: at most ${PHONE_NUMBER_LIMITS[key]} characters, got ${value.length}.`,
    );
  }
  return value === "" ? undefined : value;
}

function locale(value: string | undefined): string {
  if (value === undefined) return DEFAULT_LOCALE;
  try {
    const [canonical] = Intl.getCanonicalLocales(value);
    if (canonical !== undefined) return canonical;
  } catch {
    // Reported below with the fix.
  }
  throw invalid(
    `Invalid parameter geocodingLocale [${value}]: expected a language code such as FR, de or en-GB.`,
  );
}

/** The region's name in `language`, as GMS's geocoder names a country ("Frankreich" in DE). */
function regionName(region: string, language: string): string {
  try {
    return new Intl.DisplayNames([language], { type: "region", fallback: "none" }).of(region) ?? "";
  } catch {
    return "";
  }
}

export function registerPhoneNumberRoutes(app: FastifyInstance, context: AppContext): void {
  app.get("/genesys/1/phonenumber", async (request) => {
    // As every other endpoint of this service: its credentials when it has some, or the admin's.
    await context.requireService(request);
    const params = queryParams(request.query);
    const number = param(params, "number");
    if (number === undefined) {
      throw invalid("Parameter number is required: /genesys/1/phonenumber?number=<phone number>.");
    }
    const countryText = param(params, "country");
    if (countryText !== undefined && !/^[A-Za-z]{2}$/.test(countryText)) {
      throw invalid(
        `Invalid parameter country [${countryText}]: expected an ISO 3166 two-letter code such as US or FR.`,
      );
    }
    const country = countryText?.toUpperCase() ?? DEFAULT_COUNTRY;
    const language = locale(param(params, "geocodingLocale"));
    const parsed = parsePhoneNumberFromString(foldDigits(number).trim(), {
      ...(isSupportedCountry(country) ? { defaultCountry: country } : {}),
    });
    if (parsed === undefined) {
      // GMS's message, verbatim (GMS_Phone_Validation_Service_API_Tests).
      throw invalid(`Invalid Phone Number ${number} for Country ${country} (parsing impossible)`);
    }
    const valid = parsed.isValid();
    const type = parsed.getType() ?? "UNKNOWN";
    // libphonenumber names no region for an invalid number; libphonenumber-js would echo the default.
    const region = valid ? (parsed.country ?? "") : "";
    return {
      "language-specified": language,
      "number-specified": number,
      "country-default": country,
      "e164-format": parsed.number,
      "international-format": parsed.formatInternational(),
      "national-format": parsed.formatNational(),
      "number-type": type,
      "valid-number": valid,
      "possible-number": parsed.isPossible(),
      "premium-number": type === "PREMIUM_RATE",
      "country-code": Number(parsed.countryCallingCode),
      "region-code": region,
      location: region === "" ? "" : regionName(region, language),
    };
  });
}
