import { Type } from '@sinclair/typebox'

/**
 * One line of printable text: no control characters at all (tab and newline included), no DEL,
 * and none of the characters XML cannot carry (src/domain/text.ts).
 */
export const ONE_LINE_PATTERN = '^[^\\u0000-\\u001f\\u007f\\uFFFE\\uFFFF\\uD800-\\uDFFF]+$'

export const DateTime = Type.String({ format: 'date-time', maxLength: 64 })
export const ShortId = Type.String({ pattern: '^[0-9A-Za-z]{1,64}$', maxLength: 64, description: 'Short random id' })
export const Name = Type.String({ minLength: 1, maxLength: 255, pattern: ONE_LINE_PATTERN, description: 'Any printable text on one line' })

/** A map in XML is <entry key="...">value</entry> per key (docs/api.md, "JSON and XML"). */
export const xmlMapNote = 'In XML each key is an <entry key="..."> element.'
