import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { Key as KeyRow } from '../generated/prisma/client.ts'
import { shortId } from '../domain/ids.ts'
import { fingerprintOf, generateKeyPair, parsePublicKey, publicKeyOfPrivate, type ParsedPublicKey } from '../domain/ssh-keys.ts'
import { invalidFields, notFound, Problem } from '../problems.ts'
import { Key, KeyCreateBody, KeyCreated, KeyImportBody, KeyList, KeyPair, KeyParams } from '../schemas/key.ts'
import { problemResponses } from '../schemas/problem.ts'
import { actor } from '../plugins/auth.ts'
import { ownedBy } from '../services/lookup.ts'
import type { Principal } from '../services/token-verifier.ts'

const toKey = (row: KeyRow) => ({
  id: row.id,
  name: row.name,
  public_key: row.publicKey,
  fingerprint: row.fingerprint,
  isDefault: row.isDefault,
  created_at: row.createdAt.toISOString()
})

/**
 * SSH keys: registered from a public key or (mist.io's PUT) a private one, or generated (the
 * private key answered once). One key per user can be the default that creates without `key` use.
 */
const keys: FastifyPluginAsyncTypebox = async (app) => {
  const findKey = async (user: Principal, keyId: string): Promise<KeyRow> => {
    const key = await app.db.key.findFirst({ where: { id: keyId, ...ownedBy(user) } })
    if (key === null) throw notFound(`key ${keyId}`)
    return key
  }

  const store = async (owner: Principal, name: string, parsed: ParsedPublicKey, privateKey: string | null): Promise<KeyRow> => {
    if (await app.db.key.findFirst({ where: { name, ownerId: owner.id } }) !== null) throw new Problem('conflict', `you have a key named "${name}" already`)
    return app.db.key.create({
      data: {
        id: shortId(),
        name,
        publicKey: parsed.line,
        fingerprint: fingerprintOf(parsed),
        privateKey: privateKey === null ? null : app.secrets.seal(privateKey),
        // A user's first key is their default, as mist.io does it.
        isDefault: await app.db.key.count({ where: { ownerId: owner.id } }) === 0,
        ownerId: owner.id
      }
    })
  }

  app.get('/keys', {
    schema: { operationId: 'listKeys', tags: ['keys'], summary: 'List SSH keys', response: { 200: KeyList } }
  }, async (request) => (await app.db.key.findMany({ where: ownedBy(actor(request)), orderBy: { createdAt: 'asc' } })).map(toKey))

  app.post('/keys', {
    config: { optionalBody: true },
    schema: {
      operationId: 'createKey',
      tags: ['keys'],
      summary: 'Add or generate an SSH key; without a body, generate a pair only',
      description: 'With public_key, registers it. With a name only, generates an Ed25519 pair, keeps it and answers its private key this once (201). ' +
        'Without any body (mist.io\'s generate_key), answers a new pair (200, priv and public) and keeps nothing: register it with PUT /keys.',
      body: KeyCreateBody,
      response: { 200: KeyPair, 201: KeyCreated, ...problemResponses(400, 409, 413, 415, 422) }
    }
  }, async (request, reply) => {
    if (request.body === undefined || request.body === null) {
      const pair = generateKeyPair('stratus')
      return reply.code(200).send({ priv: pair.privateKey, public: pair.publicKey })
    }
    const { name, public_key: given } = request.body
    const generated = given === undefined ? generateKeyPair(name) : null
    const parsed = parsePublicKey(given ?? generated!.publicKey)
    if (parsed === null) {
      throw invalidFields('public_key does not decode to an OpenSSH public key of the type it names', [{ field: 'public_key', detail: 'not an OpenSSH public key' }])
    }
    const row = await store(actor(request), name, parsed, generated?.privateKey ?? null)
    reply.code(201).header('location', `/keys/${row.id}`)
    return generated === null ? toKey(row) : { ...toKey(row), private_key: generated.privateKey }
  })

  app.put('/keys', {
    schema: {
      operationId: 'importKey',
      tags: ['keys'],
      summary: 'Register a key from its private key (mist.io\'s add_key)',
      description: 'The public key is derived from the private one, which is sealed at rest and never answered again.',
      body: KeyImportBody,
      response: { 201: Key, ...problemResponses(400, 409, 413, 415, 422) }
    }
  }, async (request, reply) => {
    const parsed = publicKeyOfPrivate(request.body.priv, request.body.id)
    if (parsed === null) {
      throw invalidFields('priv is not an unencrypted OpenSSH or PEM private key this server can read', [{ field: 'priv', detail: 'not a readable private key' }])
    }
    const row = await store(actor(request), request.body.id, parsed, request.body.priv)
    return reply.code(201).header('location', `/keys/${row.id}`).send(toKey(row))
  })

  app.get('/keys/:key_id', {
    schema: { operationId: 'getKey', tags: ['keys'], summary: 'Show an SSH key', description: 'Never its private key.', params: KeyParams, response: { 200: Key, ...problemResponses(400, 404) } }
  }, async (request) => toKey(await findKey(actor(request), request.params.key_id)))

  app.post('/keys/:key_id', {
    schema: {
      operationId: 'makeKeyDefault',
      tags: ['keys'],
      summary: 'Make a key your default (mist.io\'s set_default)',
      description: 'Machine creates that name no key use it. Takes no body.',
      params: KeyParams,
      response: { 200: Key, ...problemResponses(400, 404) }
    }
  }, async (request) => {
    const key = await findKey(actor(request), request.params.key_id)
    // One transaction: at every moment the owner has at most one default.
    const [, updated] = await app.db.$transaction([
      app.db.key.updateMany({ where: { ownerId: key.ownerId, isDefault: true, NOT: { id: key.id } }, data: { isDefault: false } }),
      app.db.key.update({ where: { id: key.id }, data: { isDefault: true } })
    ])
    return toKey(updated)
  })

  app.delete('/keys/:key_id', {
    schema: {
      operationId: 'deleteKey',
      tags: ['keys'],
      summary: 'Remove an SSH key',
      description: 'Machines created with the key keep running; they no longer refer to it.',
      params: KeyParams,
      response: { 204: Type.Null({ description: 'Removed' }), ...problemResponses(400, 404) }
    }
  }, async (request, reply) => {
    const { count } = await app.db.key.deleteMany({ where: { id: request.params.key_id, ...ownedBy(actor(request)) } })
    if (count === 0) throw notFound(`key ${request.params.key_id}`)
    return reply.code(204).send(null)
  })
}

export default keys
