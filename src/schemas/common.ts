import { Type } from '@sinclair/typebox'

export const DateTime = Type.String({ format: 'date-time' })
export const ShortId = Type.String({ pattern: '^[0-9A-Za-z]{1,64}$', description: 'Short random id' })
export const Name = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'Any printable text' })

/** A map in XML is <entry key="...">value</entry> per key (README, "XML"). */
export const xmlMapNote = 'In XML each key is an <entry key="..."> element.'
