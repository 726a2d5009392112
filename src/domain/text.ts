/**
 * The characters that neither a PostgreSQL text value nor an XML 1.0 document can hold: NUL and
 * the other C0 controls but tab, newline and carriage return, the noncharacters U+FFFE and
 * U+FFFF, and unpaired UTF-16 surrogates. One rule for what enters (every string of a body,
 * path or query is refused with 400 when it holds one) and for what leaves (XML answers and
 * audit records replace them with U+FFFD, so text from a provider can never break a document).
 */
const SOURCE = '[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]'

export const FORBIDDEN_CHARACTER = new RegExp(SOURCE)
const FORBIDDEN_CHARACTERS = new RegExp(SOURCE, 'g')

/** The characters a string may not hold, as a character class body for JSON Schema patterns. */
export const FORBIDDEN_CLASS = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF\\uD800-\\uDFFF'

/**
 * A JSON Schema pattern for any text without those characters. Ajv (and every JSON Schema
 * validator that follows ECMA-262 with the u flag) reads it by code points, so a proper surrogate
 * pair (one code point) passes and only an unpaired half is refused.
 */
export const TEXT_PATTERN = `^[^${FORBIDDEN_CLASS}]*$`

export const holdsForbiddenCharacter = (text: string): boolean => FORBIDDEN_CHARACTER.test(text)

/** The text with every forbidden character replaced by U+FFFD, the replacement character. */
export const scrubText = (text: string): string =>
  FORBIDDEN_CHARACTER.test(text) ? text.replace(FORBIDDEN_CHARACTERS, '\uFFFD') : text

/** Whether a code point may appear in an XML 1.0 document (its Char production), as a reference too. */
export const isXmlCharacter = (code: number): boolean =>
  code === 0x9 || code === 0xA || code === 0xD ||
  (code >= 0x20 && code <= 0xD7FF) || (code >= 0xE000 && code <= 0xFFFD) || (code >= 0x10000 && code <= 0x10FFFF)
