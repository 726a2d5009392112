import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { actor, requireAdmin } from '../plugins/auth.ts'
import { notFound } from '../problems.ts'
import { toToken, toUser } from '../representations/account.ts'
import { Token, TokenCreateBody, TokenCreated, TokenList, TokenParams, User, UserCreateBody, UserList, UserParams } from '../schemas/account.ts'
import { problemResponses } from '../schemas/problem.ts'

/** Users (administrators only) and API tokens (each user's own; an admin's for anyone). */
const accounts: FastifyPluginAsyncTypebox = async (app) => {
  const issue = async (userId: string, body: { name: string, expires_at?: string }) => {
    const { token, record } = await app.accounts.issueToken(userId, body.name, body.expires_at === undefined ? null : new Date(body.expires_at))
    return { ...toToken(record), token }
  }

  app.get('/api/users', {
    schema: { operationId: 'listUsers', tags: ['accounts'], summary: 'List users (administrators)', response: { 200: UserList, ...problemResponses(403) } }
  }, async (request) => {
    requireAdmin(request)
    return (await app.db.user.findMany({ orderBy: { createdAt: 'asc' } })).map(toUser)
  })

  app.get('/api/users/:user_id', {
    schema: { operationId: 'getUser', tags: ['accounts'], summary: 'Show a user (administrators)', params: UserParams, response: { 200: User, ...problemResponses(400, 403, 404) } }
  }, async (request) => {
    requireAdmin(request)
    const user = await app.db.user.findUnique({ where: { id: request.params.user_id } })
    if (user === null) throw notFound(`user ${request.params.user_id}`)
    return toUser(user)
  })

  app.post('/api/users', {
    schema: { operationId: 'createUser', tags: ['accounts'], summary: 'Create a user (administrators)', body: UserCreateBody, response: { 201: User, ...problemResponses(400, 403, 409, 413, 415) } }
  }, async (request, reply) => {
    requireAdmin(request)
    const user = await app.accounts.createUser(request.body.name, request.body.admin ?? false)
    return reply.code(201).header('location', `/api/users/${user.id}`).send(toUser(user))
  })

  app.post('/api/users/:user_id/tokens', {
    schema: {
      operationId: 'createUserToken',
      tags: ['accounts'],
      summary: 'Create a token for a user (administrators)',
      description: 'The token is in this answer only; it is kept as a hash.',
      params: UserParams,
      body: TokenCreateBody,
      response: { 201: TokenCreated, ...problemResponses(400, 403, 404, 413, 415, 422) }
    }
  }, async (request, reply) => {
    requireAdmin(request)
    const user = await app.db.user.findUnique({ where: { id: request.params.user_id } })
    if (user === null) throw notFound(`user ${request.params.user_id}`)
    const created = await issue(user.id, request.body)
    return reply.code(201).header('location', `/api/tokens/${created.id}`).send(created)
  })

  app.get('/api/tokens', {
    schema: { operationId: 'listTokens', tags: ['accounts'], summary: 'List your tokens', description: 'Never with their secrets.', response: { 200: TokenList } }
  }, async (request) => (await app.db.apiToken.findMany({ where: { userId: actor(request).id }, orderBy: { createdAt: 'asc' } })).map(toToken))

  app.get('/api/tokens/:token_id', {
    schema: {
      operationId: 'getToken',
      tags: ['accounts'],
      summary: 'Show a token',
      description: 'Yours; an administrator can see anyone\'s. Never its secret.',
      params: TokenParams,
      response: { 200: Token, ...problemResponses(400, 404) }
    }
  }, async (request) => {
    const user = actor(request)
    const token = await app.db.apiToken.findFirst({ where: { id: request.params.token_id, ...(user.isAdmin ? {} : { userId: user.id }) } })
    if (token === null) throw notFound(`token ${request.params.token_id}`)
    return toToken(token)
  })

  app.post('/api/tokens', {
    schema: {
      operationId: 'createToken',
      tags: ['accounts'],
      summary: 'Create a token for yourself',
      description: 'Named, optionally expiring. The token is in this answer only; it is kept as a hash.',
      body: TokenCreateBody,
      response: { 201: TokenCreated, ...problemResponses(400, 413, 415, 422) }
    }
  }, async (request, reply) => {
    const created = await issue(actor(request).id, request.body)
    return reply.code(201).header('location', `/api/tokens/${created.id}`).send(created)
  })

  app.delete('/api/tokens/:token_id', {
    schema: {
      operationId: 'revokeToken',
      tags: ['accounts'],
      summary: 'Revoke a token',
      description: 'Yours; an administrator can revoke anyone\'s. It stops working at once on this server.',
      params: TokenParams,
      response: { 204: Type.Null({ description: 'Revoked' }), ...problemResponses(400, 404) }
    }
  }, async (request, reply) => {
    const revoked = await app.accounts.revokeToken(request.params.token_id, actor(request))
    if (revoked === null) throw notFound(`token ${request.params.token_id}`)
    // Forgotten here before the answer; every other server forgets it on the revocation's NOTIFY.
    app.tokenVerifier.forget(revoked.id)
    return reply.code(204).send(null)
  })
}

export default accounts
