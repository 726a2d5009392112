import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { Key as KeyRow } from '../generated/prisma/client.ts'
import { shortId } from '../domain/ids.ts'
import { fingerprintOf, generateKeyPair, parsePublicKey } from '../domain/ssh-keys.ts'
import { invalidFields, notFound, Problem } from '../problems.ts'
import { Key, KeyCreateBody, KeyCreated, KeyList, KeyParams } from '../schemas/key.ts'
import { problemResponses } from '../schemas/problem.ts'
import { actor } from '../plugins/auth.ts'
import { ownedBy } from '../services/lookup.ts'

const toKey = (row: KeyRow) => ({
  id: row.id,
  name: row.name,
  public_key: row.publicKey,
  fingerprint: row.fingerprint,
  created_at: row.createdAt.toISOString()
})

/** SSH keys: registered from a public key, or generated (the private key answered once). */
const keys: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/keys', {
    schema: { tags: ['keys'], summary: 'List SSH keys', response: { 200: KeyList, ...problemResponses(406) } }
  }, async (request) => (await app.db.key.findMany({ where: ownedBy(actor(request)), orderBy: { createdAt: 'asc' } })).map(toKey))

  app.post('/keys', {
    schema: {
      tags: ['keys'],
      summary: 'Add or generate an SSH key',
      description: 'With public_key, registers it. Without, generates an Ed25519 pair and answers its private key this once.',
      body: KeyCreateBody,
      response: { 201: KeyCreated, ...problemResponses(400, 406, 409, 413, 415) }
    }
  }, async (request, reply) => {
    const { name, public_key: given } = request.body
    const owner = actor(request)
    if (await app.db.key.findFirst({ where: { name, ownerId: owner.id } }) !== null) throw new Problem('conflict', `you have a key named "${name}" already`)
    const generated = given === undefined ? generateKeyPair(name) : null
    const parsed = parsePublicKey(given ?? generated!.publicKey)
    if (parsed === null) {
      throw invalidFields('public_key is not an OpenSSH public key ("ssh-ed25519 AAAA... comment")', [{ field: 'public_key', detail: 'not an OpenSSH public key' }])
    }
    const row = await app.db.key.create({
      data: {
        id: shortId(),
        name,
        publicKey: parsed.line,
        fingerprint: fingerprintOf(parsed),
        privateKey: generated === null ? null : app.secrets.seal(generated.privateKey),
        ownerId: owner.id
      }
    })
    reply.code(201).header('location', `/keys/${row.id}`)
    return generated === null ? toKey(row) : { ...toKey(row), private_key: generated.privateKey }
  })

  app.delete('/keys/:key_id', {
    schema: {
      tags: ['keys'],
      summary: 'Remove an SSH key',
      description: 'Machines created with the key keep running; they no longer refer to it.',
      params: KeyParams,
      response: { 204: Type.Null({ description: 'Removed' }), ...problemResponses(404, 406) }
    }
  }, async (request, reply) => {
    const { count } = await app.db.key.deleteMany({ where: { id: request.params.key_id, ...ownedBy(actor(request)) } })
    if (count === 0) throw notFound(`key ${request.params.key_id}`)
    return reply.code(204).send(null)
  })
}

export default keys
