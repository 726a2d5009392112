import type { FastifyInstance } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ProviderError } from '../providers/provider-error.ts'
import { Type } from '@sinclair/typebox'
import { shortId } from '../domain/ids.ts'
import { invalidFields, Problem } from '../problems.ts'
import type { ProviderDefinition } from '../providers/driver.ts'
import { toBackend } from '../representations/backend.ts'
import { Backend, BackendList, BackendParams, BackendStateBody, type BackendCreateBody, type BackendUpdateBody } from '../schemas/backend.ts'
import { backendCreateBody, backendUpdateBody } from '../schemas/provider-bodies.ts'
import { PROVIDER_PROBLEMS, problemResponses } from '../schemas/problem.ts'
import { findBackend, ownedBy } from '../services/lookup.ts'
import { actor } from '../plugins/auth.ts'

/** Splits request fields into sealed credentials and plain settings, as the provider defines them. */
function splitFields (provider: string, definition: ProviderDefinition, fields: Record<string, unknown>) {
  const credentials: Record<string, unknown> = {}
  const settings: Record<string, unknown> = {}
  const foreign: string[] = []
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue
    if (Object.hasOwn(definition.credentials, name)) credentials[name] = value
    else if (Object.hasOwn(definition.settings, name)) settings[name] = value
    else foreign.push(name)
  }
  if (foreign.length > 0) {
    throw invalidFields(`${foreign.join(', ')} do not apply to ${provider} backends`, foreign.map((field) => ({ field, detail: `does not apply to ${provider} backends` })))
  }
  return { credentials, settings }
}

/**
 * One cheap real call with the credentials before they are stored: refused ones answer 422 and
 * nothing is kept; an unreachable cloud answers 503/504 (the ProviderError's own problem).
 */
async function checkWithCloud (app: FastifyInstance, provider: string, backendId: string, credentials: Record<string, unknown>, settings: Record<string, unknown>): Promise<void> {
  const driver = app.providers.connect(provider, backendId, credentials, settings)
  try {
    await driver.checkCredentials()
  } catch (error) {
    if (error instanceof ProviderError && error.failure === 'credentials-rejected') {
      throw new Problem('credentials-rejected', `${provider} refused these credentials: ${error.message}`)
    }
    throw error
  } finally {
    await driver.close?.()
  }
}

/** A provider whose backends reach a whole host (Docker) is for administrators alone. */
function checkMayManage (provider: string, definition: ProviderDefinition, isAdmin: boolean): void {
  if (definition.adminOnly === true && !isAdmin) throw new Problem('forbidden', `only administrators may add or change ${provider} backends`)
}

function checkProviderFields (definition: ProviderDefinition, credentials: Record<string, unknown>, settings: Record<string, unknown>): void {
  const problems = definition.validate?.(credentials, settings) ?? []
  if (problems.length > 0) throw invalidFields(problems.join('; '), problems.map((detail) => ({ detail })))
}

/** The backends collection: cloud accounts, with credentials sealed at rest and never answered. */
const backends: FastifyPluginAsyncTypebox = async (app) => {
  const createBody = backendCreateBody(app.providers.definitions)
  const updateBody = backendUpdateBody(app.providers.definitions)

  /** Enabling or disabling: a re-enabled backend's unsettled machines are watched again. */
  const setEnabled = async (backendId: string, enabled: boolean) => {
    const row = await app.db.backend.update({ where: { id: backendId }, data: { enabled } })
    if (enabled) await app.watcher.recover({ backendId })
    return row
  }

  app.get('/backends', {
    schema: { operationId: 'listBackends', tags: ['backends'], summary: 'List backends', response: { 200: BackendList } }
  }, async (request) => {
    const rows = await app.db.backend.findMany({ where: { deletedAt: null, ...ownedBy(actor(request)) }, orderBy: { createdAt: 'asc' } })
    return rows.map(toBackend)
  })

  app.post('/backends', {
    schema: {
      operationId: 'createBackend',
      tags: ['backends'],
      summary: 'Add a backend',
      description: 'Body: title, provider and that provider\'s credentials and settings (one branch per provider; GET /providers lists them). Credentials are sealed at rest and never returned.',
      body: createBody,
      response: { 201: Backend, ...problemResponses(400, 403, 413, 415, 422, ...PROVIDER_PROBLEMS) }
    }
  }, async (request, reply) => {
    const { title, provider, enabled, ...fields } = request.body as BackendCreateBody
    const definition = app.providers.definitionFor({ provider })
    checkMayManage(provider, definition, actor(request).isAdmin)
    const { credentials, settings } = splitFields(provider, definition, fields)
    checkProviderFields(definition, credentials, settings)
    const id = shortId()
    await checkWithCloud(app, provider, id, credentials, settings)
    const row = await app.db.backend.create({
      data: {
        id,
        title,
        provider,
        enabled: enabled ?? true,
        credentials: app.secrets.sealJson(credentials),
        settings: settings as object,
        ownerId: actor(request).id
      }
    })
    return reply.code(201).header('location', `/backends/${row.id}`).send(toBackend(row))
  })

  app.get('/backends/:backend_id', {
    schema: { operationId: 'getBackend', tags: ['backends'], summary: 'Show a backend', params: BackendParams, response: { 200: Backend, ...problemResponses(400, 404) } }
  }, async (request) => toBackend(await findBackend(app.db, actor(request), request.params.backend_id)))

  app.put('/backends/:backend_id', {
    schema: {
      operationId: 'updateBackend',
      tags: ['backends'],
      summary: 'Change or rename a backend',
      description: 'Given fields replace the stored ones; credentials not given are kept. new_name is mist.io\'s name for title. ' +
        'A field of another provider than the backend\'s is refused (422).',
      params: BackendParams,
      body: updateBody,
      response: { 200: Backend, ...problemResponses(400, 403, 404, 413, 415, 422, ...PROVIDER_PROBLEMS) }
    }
  }, async (request) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    const { title, new_name: newName, enabled, ...fields } = request.body as BackendUpdateBody
    if (title !== undefined && newName !== undefined && title !== newName) {
      throw invalidFields('title and new_name name the same thing; give one', [{ field: 'new_name', detail: 'differs from title' }])
    }
    const definition = app.providers.definitionFor(backend)
    checkMayManage(backend.provider, definition, actor(request).isAdmin)
    const changes = splitFields(backend.provider, definition, fields)
    const credentials = { ...app.secrets.openJson<Record<string, unknown>>(backend.credentials), ...changes.credentials }
    const settings = { ...(backend.settings as Record<string, unknown>), ...changes.settings }
    checkProviderFields(definition, credentials, settings)
    // New credentials (or settings that say where they apply) are tried before they replace the old.
    if (Object.keys(changes.credentials).length > 0 || Object.keys(changes.settings).length > 0) {
      await checkWithCloud(app, backend.provider, backend.id, credentials, settings)
    }
    const row = await app.db.backend.update({
      where: { id: backend.id },
      data: {
        title: title ?? newName,
        enabled,
        credentials: app.secrets.sealJson(credentials),
        settings: settings as object,
        // Credentials the cloud has just accepted are no longer failing.
        ...(Object.keys(changes.credentials).length > 0 ? { credentialsRejectedAt: null, credentialsError: null } : {})
      }
    })
    if (enabled === true && !backend.enabled) await app.watcher.recover({ backendId: backend.id })
    // Sizes and prices may differ under other credentials or settings.
    await app.db.size.deleteMany({ where: { backendId: backend.id } })
    app.providers.forget(backend.id)
    return toBackend(row)
  })

  app.post('/backends/:backend_id', {
    schema: {
      operationId: 'setBackendState',
      tags: ['backends'],
      summary: 'Enable or disable a backend',
      description: 'mist.io\'s toggle: {"new_state": "1"} enables, "0" disables. A disabled backend is neither synced nor polled, and its machines refuse actions (409) until it is enabled again.',
      params: BackendParams,
      body: BackendStateBody,
      response: { 200: Backend, ...problemResponses(400, 404, 413, 415) }
    }
  }, async (request) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    const enabled = request.body.new_state === '1'
    return toBackend(enabled === backend.enabled ? backend : await setEnabled(backend.id, enabled))
  })

  app.delete('/backends/:backend_id', {
    schema: {
      operationId: 'deleteBackend',
      tags: ['backends'],
      summary: 'Remove a backend',
      description: 'Refused (409) while the backend has machines that are not destroyed. Archive records of destroyed machines are kept.',
      params: BackendParams,
      response: { 204: Type.Null({ description: 'Removed' }), ...problemResponses(400, 404, 409) }
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
