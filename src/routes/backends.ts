import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { shortId } from '../domain/ids.ts'
import { invalidFields, Problem } from '../problems.ts'
import type { ProviderDefinition } from '../providers/driver.ts'
import { toBackend } from '../representations/backend.ts'
import { Backend, BackendCreateBody, BackendList, BackendParams, BackendUpdateBody } from '../schemas/backend.ts'
import { problemResponses } from '../schemas/problem.ts'
import { findBackend, ownedBy } from '../services/lookup.ts'
import { actor } from '../plugins/auth.ts'

/** Splits request fields into sealed credentials and plain settings, as the provider defines them. */
function splitFields (provider: string, definition: ProviderDefinition, fields: Record<string, unknown>) {
  const credentials: Record<string, unknown> = {}
  const settings: Record<string, unknown> = {}
  const foreign: string[] = []
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue
    if (definition.credentialFields.includes(name)) credentials[name] = value
    else if (definition.settingFields.includes(name)) settings[name] = value
    else foreign.push(name)
  }
  if (foreign.length > 0) {
    throw invalidFields(`${foreign.join(', ')} do not apply to ${provider} backends`, foreign.map((field) => ({ field, detail: `does not apply to ${provider} backends` })))
  }
  return { credentials, settings }
}

function checkProviderFields (definition: ProviderDefinition, credentials: Record<string, unknown>, settings: Record<string, unknown>): void {
  const problems = definition.validate(credentials, settings)
  if (problems.length > 0) {
    throw invalidFields(problems.join('; '), problems.map((detail) => ({ detail })))
  }
}

/** The backends collection: cloud accounts, with credentials sealed at rest and never answered. */
const backends: FastifyPluginAsyncTypebox = async (app) => {
  const definitionOf = (provider: string): ProviderDefinition => {
    const definition = app.providers.definition(provider)
    if (definition === undefined) {
      throw invalidFields(`provider ${provider} is not available on this server (available: ${app.providers.types.join(', ')})`, [{ field: 'provider', detail: 'no such provider plugin on this server' }])
    }
    return definition
  }

  app.get('/backends', {
    schema: { tags: ['backends'], summary: 'List backends', response: { 200: BackendList, ...problemResponses(406) } }
  }, async (request) => {
    const rows = await app.db.backend.findMany({ where: { deletedAt: null, ...ownedBy(actor(request)) }, orderBy: { createdAt: 'asc' } })
    return rows.map(toBackend)
  })

  app.post('/backends', {
    schema: {
      tags: ['backends'],
      summary: 'Add a backend',
      description: 'Body: title, provider and that provider\'s credentials and settings. Credentials are sealed at rest and never returned.',
      body: BackendCreateBody,
      response: { 201: Backend, ...problemResponses(400, 406, 413, 415) }
    }
  }, async (request, reply) => {
    const { title, provider, ...fields } = request.body
    const definition = definitionOf(provider)
    const { credentials, settings } = splitFields(provider, definition, fields)
    checkProviderFields(definition, credentials, settings)
    const row = await app.db.backend.create({
      data: { id: shortId(), title, provider, credentials: app.secrets.sealJson(credentials), settings: settings as object, ownerId: actor(request).id }
    })
    return reply.code(201).header('location', `/backends/${row.id}`).send(toBackend(row))
  })

  app.get('/backends/:backend_id', {
    schema: { tags: ['backends'], summary: 'Show a backend', params: BackendParams, response: { 200: Backend, ...problemResponses(404, 406) } }
  }, async (request) => toBackend(await findBackend(app.db, actor(request), request.params.backend_id)))

  app.put('/backends/:backend_id', {
    schema: {
      tags: ['backends'],
      summary: 'Change a backend',
      description: 'Given fields replace the stored ones; credentials not given are kept.',
      params: BackendParams,
      body: BackendUpdateBody,
      response: { 200: Backend, ...problemResponses(400, 404, 406, 413, 415) }
    }
  }, async (request) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    const { title, ...fields } = request.body
    const definition = app.providers.definitionFor(backend)
    const changes = splitFields(backend.provider, definition, fields)
    const credentials = { ...app.secrets.openJson<Record<string, unknown>>(backend.credentials), ...changes.credentials }
    const settings = { ...(backend.settings as Record<string, unknown>), ...changes.settings }
    checkProviderFields(definition, credentials, settings)
    const row = await app.db.backend.update({
      where: { id: backend.id },
      data: { title, credentials: app.secrets.sealJson(credentials), settings: settings as object }
    })
    // Sizes and prices may differ under other credentials or settings.
    await app.db.size.deleteMany({ where: { backendId: backend.id } })
    app.providers.forget(backend.id)
    return toBackend(row)
  })

  app.delete('/backends/:backend_id', {
    schema: {
      tags: ['backends'],
      summary: 'Remove a backend',
      description: 'Refused (409) while the backend has machines that are not destroyed. Archive records of destroyed machines are kept.',
      params: BackendParams,
      response: { 204: Type.Null({ description: 'Removed' }), ...problemResponses(404, 406, 409) }
    }
  }, async (request, reply) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    const live = await app.db.machine.count({ where: { backendId: backend.id, state: { not: 'terminated' } } })
    if (live > 0) throw new Problem('conflict', `backend ${backend.id} still has ${live} machine(s) that are not destroyed; destroy them first`)
    await app.db.backend.update({ where: { id: backend.id }, data: { deletedAt: new Date() } })
    app.providers.forget(backend.id)
    return reply.code(204).send(null)
  })
}

export default backends
