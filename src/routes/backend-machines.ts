import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@sinclair/typebox'
import { Problem } from '../problems.ts'
import { ProviderError } from '../providers/provider-error.ts'
import { ONE_LINE_PATTERN } from '../schemas/common.ts'
import { IdempotencyKeys } from '../services/idempotency-keys.ts'
import { actor } from '../plugins/auth.ts'
import { toMistMachine, toMistMachineCreated, toMistMachineListJson } from '../representations/mist-machine.ts'
import { readBackendMachinesJson, readBackendMachinesVersion } from '../services/machine-reads.ts'
import { billingRuleOf } from '../domain/billing-rules.ts'
import { billingParameters } from '../representations/mist-machine-fields.ts'
import { ListDocuments } from '../services/list-documents.ts'
import { BackendParams } from '../schemas/backend.ts'
import {
  MachineActionBody, MachineParams, MistMachine, MistMachineCreated, MistMachineList, TagBody, TagList, type MachineCreateBody
} from '../schemas/mist-machine.ts'
import { machineCreateBody } from '../schemas/provider-bodies.ts'
import type { MachineAction } from '../domain/lifecycle.ts'
import { PROVIDER_PROBLEMS, problemResponses } from '../schemas/problem.ts'
import { findBackend, findMachineAt } from '../services/lookup.ts'

/** The backends API's machines: list (synced with the provider), create, act, tag. */
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    minLength: 1, maxLength: 255, pattern: ONE_LINE_PATTERN, description: 'Makes the create safe to retry: any unique string per request, e.g. a UUID (kept 24 hours)'
  }))
})

const backendMachines: FastifyPluginAsyncTypebox<{ bodyLimit: number }> = async (app, options) => {
  const createBody = machineCreateBody(app.providers.definitions)
  const idempotency = new IdempotencyKeys(app.db)
  const rendered = new ListDocuments()

  app.get('/backends/:backend_id/machines', {
    schema: {
      operationId: 'listBackendMachines',
      tags: ['machines (backends API)'],
      summary: 'List the backend\'s machines',
      description: 'Reads the machines from the provider and records any state change before answering, unless the backend was listed at the provider within the last few seconds (LIST_FRESH_MS): then as recorded. Destroyed machines are not listed.',
      params: BackendParams,
      response: { 200: MistMachineList, ...problemResponses(400, 404, ...PROVIDER_PROBLEMS) }
    }
  }, async (request, reply) => {
    // A listing that ends after this moment is as fresh as this request needs (shared by concurrent lists).
    const since = performance.now()
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    const driver = app.providers.driverFor(backend)
    const rule = billingRuleOf(backend.provider, backend.settings)
    // Answered from the records in JSON: the document as PostgreSQL wrote its fields, rendered
    // once per change of the rows (a 10,000-machine list is 5 MB); tests/routes/backend-machines.test.ts
    // holds it equal to the schema-serialized one.
    if (request.format === 'json' && !app.machines.mustList(backend)) {
      const version = await readBackendMachinesVersion(app.sql, backend.id)
      // The rule is part of the version: a sandbox's billable_states may change while its rows do not.
      const text = await rendered.get(backend.id, `${version}:${billingParameters(rule).join(':')}`, async () => toMistMachineListJson(await readBackendMachinesJson(app.sql, backend.id, rule), driver))
      // The text is the list document already (the type provider only knows the object form).
      return reply.type('application/json; charset=utf-8').send(text as unknown as Static<typeof MistMachineList>)
    }
    const machines = await app.machines.list(backend, since)
    return machines.map((machine) => toMistMachine(machine, driver, rule))
  })

  app.post('/backends/:backend_id/machines', {
    // The largest body of all: cloud user data (script) of up to 64 KB, and the other fields.
    bodyLimit: options.bodyLimit,
    schema: {
      operationId: 'createMachine',
      tags: ['machines (backends API)'],
      summary: 'Create a machine',
      description: 'Without key, your default key is used (422 when you have none); a docker backend needs none and uses none (a container has no SSH key). ' +
        'location is required (422 without it) except on docker backends, whose engine is one place. Fields a provider adds (docker_* for docker; docker_command is required there) apply to its backends only (422 elsewhere). ' +
        'An admin password is generated and kept, sealed, for the machine API. The answer\'s machine_api_id, and the Location header, name the machine API\'s record. ' +
        '409 when the backend is disabled. With an Idempotency-Key header a retry (same user, same key) is answered the first answer and never makes a second machine; ' +
        'the same key with another body is 422; while the first request is still running, or the cloud did not answer it yet, 409 with Retry-After.',
      params: BackendParams,
      headers: IdempotencyHeaders,
      body: createBody,
      response: { 201: MistMachineCreated, ...problemResponses(400, 404, 409, 413, 415, 422, ...PROVIDER_PROBLEMS) }
    }
  }, async (request, reply) => {
    const user = actor(request)
    const backend = await findBackend(app.db, user, request.params.backend_id)
    const key = request.headers['idempotency-key']
    if (key === undefined) {
      const machine = await app.machines.create(user, backend, request.body as MachineCreateBody)
      return reply.code(201).header('location', `/api/machine/${machine.id}`).send(toMistMachineCreated(machine))
    }
    const begun = await idempotency.begin(user.id, key, backend.id, request.body)
    // Only a 201 is ever kept (a refusal releases the key), and it was this route's own answer.
    if (begun.kind === 'replay') return reply.code(201).header('location', begun.answer.location).send(begun.answer.body as Static<typeof MistMachineCreated>)
    if (begun.kind === 'unsettled') {
      // The first request is still running, or the cloud did not answer it: its machine, once the
      // sync has found it, is the answer; until then the retry is told to come back.
      const machine = await app.db.machine.findUnique({ where: { uuid: begun.uuid } })
      if (machine === null) {
        throw new Problem('conflict', 'a create with this Idempotency-Key is in progress or its outcome is not known yet; retry later', { headers: { 'retry-after': '5' } })
      }
      const answer = { status: 201, location: `/api/machine/${machine.id}`, body: toMistMachineCreated(machine) }
      await idempotency.keep(user.id, key, answer)
      return reply.code(201).header('location', answer.location).send(answer.body)
    }
    let machine
    try {
      machine = await app.machines.create(user, backend, request.body as MachineCreateBody, begun.uuid)
    } catch (error) {
      // Refused for sure: nothing was made, the key is free for a corrected request. Otherwise
      // the cloud may have made it: the key stays, and a retry is answered once the sync knows.
      if (error instanceof Problem || (error instanceof ProviderError && error.certainlyNotDone)) await idempotency.release(user.id, key)
      throw error
    }
    const answer = { status: 201, location: `/api/machine/${machine.id}`, body: toMistMachineCreated(machine) }
    await idempotency.keep(user.id, key, answer)
    return reply.code(201).header('location', answer.location).send(answer.body)
  })

  app.post('/backends/:backend_id/machines/:machine_id', {
    schema: {
      operationId: 'actOnMachine',
      tags: ['machines (backends API)'],
      summary: 'Reboot, shut down (stop), start or destroy a machine',
      description: 'Accepted actions answer 202 with the machine in its transitional state; the final state is recorded when the provider reports it. ' +
        '409 (invalid-state): not valid in the current state, try later; also when the backend is disabled. 422 (action-not-supported): the provider can never do it for this machine.',
      params: MachineParams,
      body: MachineActionBody,
      response: { 202: MistMachine, ...problemResponses(400, 404, 409, 413, 415, 422, ...PROVIDER_PROBLEMS) }
    }
  }, async (request, reply) => {
    const machine = await findMachineAt(app.db, actor(request), request.params.backend_id, request.params.machine_id)
    const action: MachineAction = request.body.action === 'stop' ? 'shutdown' : request.body.action
    const updated = await app.machines.act(machine, action)
    return reply.code(202).send(toMistMachine(updated, app.providers.driverFor(machine.backend), billingRuleOf(machine.backend.provider, machine.backend.settings)))
  })

  app.post('/backends/:backend_id/machines/:machine_id/metadata', {
    schema: {
      operationId: 'tagMachine',
      tags: ['machines (backends API)'],
      summary: 'Tag a machine',
      description: 'Adds the tag at the cloud (DigitalOcean\'s tag API, Azure VM tags) and to the record, unless the machine has it already; answers the machine\'s tags. ' +
        '409 when the machine is destroyed or the backend disabled.',
      params: MachineParams,
      body: TagBody,
      response: { 200: TagList, ...problemResponses(400, 404, 409, 413, 415, ...PROVIDER_PROBLEMS) }
    }
  }, async (request) => {
    const machine = await findMachineAt(app.db, actor(request), request.params.backend_id, request.params.machine_id)
    const tagged = await app.machines.tag(machine, request.body.tag)
    return { tags: tagged.tags }
  })
}

export default backendMachines
