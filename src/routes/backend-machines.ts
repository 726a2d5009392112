import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { archivedMachine } from '../problems.ts'
import { actor } from '../plugins/auth.ts'
import { toMistMachine, toMistMachineCreated } from '../representations/mist-machine.ts'
import { BackendParams } from '../schemas/backend.ts'
import {
  MachineActionBody, MachineParams, MistMachine, MistMachineCreated, MistMachineList, TagBody, TagList, type MachineCreateBody
} from '../schemas/mist-machine.ts'
import { machineCreateBody } from '../schemas/provider-bodies.ts'
import type { MachineAction } from '../domain/lifecycle.ts'
import { PROVIDER_PROBLEMS, problemResponses } from '../schemas/problem.ts'
import { findBackend, findMachineAt } from '../services/lookup.ts'

/** The backends API's machines: list (synced with the provider), create, act, tag. */
const backendMachines: FastifyPluginAsyncTypebox<{ bodyLimit: number }> = async (app, options) => {
  const createBody = machineCreateBody(app.providers.definitions)

  app.get('/backends/:backend_id/machines', {
    schema: {
      operationId: 'listBackendMachines',
      tags: ['machines (backends API)'],
      summary: 'List the backend\'s machines',
      description: 'Reads the machines from the provider and records any state change before answering. Destroyed machines are not listed.',
      params: BackendParams,
      response: { 200: MistMachineList, ...problemResponses(400, 404, ...PROVIDER_PROBLEMS) }
    }
  }, async (request) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    const machines = await app.machines.sync(backend)
    const driver = app.providers.driverFor(backend)
    return machines.map((machine) => toMistMachine(machine, driver))
  })

  app.post('/backends/:backend_id/machines', {
    // The largest body of all: cloud user data (script) of up to 64 KB, and the other fields.
    bodyLimit: options.bodyLimit,
    schema: {
      operationId: 'createMachine',
      tags: ['machines (backends API)'],
      summary: 'Create a machine',
      description: 'Without key, your default key is used (422 when you have none). Fields a provider adds (docker_* for docker) apply to its backends only (422 elsewhere). ' +
        'An admin password is generated and kept, sealed, for the machine API. The answer\'s machine_api_id, and the Location header, name the machine API\'s record. ' +
        '409 when the backend is disabled.',
      params: BackendParams,
      body: createBody,
      response: { 201: MistMachineCreated, ...problemResponses(400, 404, 409, 413, 415, 422, ...PROVIDER_PROBLEMS) }
    }
  }, async (request, reply) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    const machine = await app.machines.create(actor(request), backend, request.body as MachineCreateBody)
    reply.code(201).header('location', `/api/machine/${machine.id}`)
    return toMistMachineCreated(machine)
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
    return reply.code(202).send(toMistMachine(updated, app.providers.driverFor(machine.backend)))
  })

  app.post('/backends/:backend_id/machines/:machine_id/metadata', {
    schema: {
      operationId: 'tagMachine',
      tags: ['machines (backends API)'],
      summary: 'Tag a machine',
      description: 'Adds the tag unless the machine has it already; answers the machine\'s tags.',
      params: MachineParams,
      body: TagBody,
      response: { 200: TagList, ...problemResponses(400, 404, 409, 413, 415) }
    }
  }, async (request) => {
    const machine = await findMachineAt(app.db, actor(request), request.params.backend_id, request.params.machine_id)
    const { tag } = request.body
    // One conditional write: concurrent taggers cannot add the same tag twice.
    await app.db.machine.updateMany({
      where: { id: machine.id, state: { not: 'terminated' }, NOT: { tags: { has: tag } } },
      data: { tags: { push: tag } }
    })
    const tagged = await app.db.machine.findUniqueOrThrow({ where: { id: machine.id }, select: { tags: true, state: true } })
    if (tagged.state === 'terminated') throw archivedMachine('tagged', tagged.state)
    return { tags: tagged.tags }
  })
}

export default backendMachines
