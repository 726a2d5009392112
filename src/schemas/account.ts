import { Type } from '@sinclair/typebox'
import { DateTime, ONE_LINE_PATTERN, ShortId } from './common.ts'

const UserName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$' })

export const User = Type.Object({
  id: ShortId,
  name: Type.String(),
  admin: Type.Boolean(),
  created_at: DateTime
}, { title: 'User', xml: { name: 'user' } })
export const UserList = Type.Array(User, { xml: { name: 'users' } })

export const UserCreateBody = Type.Object({
  name: UserName,
  admin: Type.Optional(Type.Boolean({ default: false, description: 'Whether the user is an administrator (a JSON boolean; "true" is refused)' }))
}, { title: 'UserCreate', additionalProperties: false, xml: { name: 'user' } })

export const UserParams = Type.Object({ user_id: ShortId })

const tokenFields = {
  id: ShortId,
  name: Type.String(),
  prefix: Type.String({ description: 'The token\'s first characters, to tell tokens apart' }),
  expires_at: Type.Union([DateTime, Type.Null()]),
  revoked_at: Type.Union([DateTime, Type.Null()]),
  created_at: DateTime
}

export const Token = Type.Object(tokenFields, { title: 'Token', xml: { name: 'token' }, description: 'A token as listed: never its secret' })
export const TokenList = Type.Array(Token, { xml: { name: 'tokens' } })

export const TokenCreated = Type.Object({
  ...tokenFields,
  token: Type.String({ description: 'The token itself: shown in this answer only, kept only as a hash' })
}, { title: 'TokenCreated', xml: { name: 'token' } })

export const TokenCreateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, pattern: ONE_LINE_PATTERN }),
  expires_at: Type.Optional(Type.String({ format: 'date-time', maxLength: 64, description: 'When the token stops working; must be in the future (else 422); omit for no expiry' }))
}, { title: 'TokenCreate', additionalProperties: false, xml: { name: 'token' } })

export const TokenParams = Type.Object({ token_id: ShortId })

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: DateTime,
  user_id: Type.Union([Type.String(), Type.Null()]),
  method: Type.String(),
  route: Type.String({ description: 'The route pattern, e.g. POST /backends/:backend_id/machines' }),
  path: Type.String(),
  resource_type: Type.Union([Type.String(), Type.Null()]),
  resource_id: Type.Union([Type.String(), Type.Null()]),
  status: Type.Integer(),
  outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('refused'), Type.Literal('failed')])
}, { title: 'AuditEntry', xml: { name: 'entry' } })
export const AuditList = Type.Array(AuditEntry, { xml: { name: 'audit' } })

export const AuditQuery = Type.Object({
  since: Type.Optional(Type.String({ format: 'date-time' })),
  until: Type.Optional(Type.String({ format: 'date-time' })),
  resource_type: Type.Optional(Type.String({ maxLength: 32 })),
  resource_id: Type.Optional(Type.String({ maxLength: 255 })),
  user_id: Type.Optional(Type.String({ maxLength: 64, description: 'Administrators only: whose entries' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 }))
}, { additionalProperties: false })
