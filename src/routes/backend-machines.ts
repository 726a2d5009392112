import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { archivedMachine } from '../problems.ts'
import { actor } from '../plugins/auth.ts'
import { toMistMachine, toMistMachineCreated } from '../representations/mist-machine.ts'
import { BackendParams } from '../schemas/backend.ts'
import {
  MachineActionBody, MachineCreateBody, MachineParams, MistMachine, MistMachineCreated, MistMachineList, TagBody, TagList
} from '../schemas/mist-machine.ts'
import { PROVIDER_PROBLEMS, problemResponses } from '../schemas/problem.ts'
import { findBackend, findMachineAt } from '../services/lookup.ts'

/** The backends API's machines: list (synced with the provider), create, act, tag. */
const backendMachines: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/backends/:backend_id/machines', {
    schema: {
      tags: ['machines (backends API)'],
      summary: 'List the backend\'s machines',
      description: 'Reads the machines from the provider and records any state change before answering. Destroyed machines are not listed.',
      params: BackendParams,
      response: { 200: MistMachineList, ...problemResponses(404, 406, ...PROVIDER_PROBLEMS) }
    }
  }, async (request) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    const machines = await app.machines.sync(backend)
    const driver = app.providers.driverFor(backend)
    return machines.map((machine) => toMistMachine(machine, driver))
  })

  app.post('/backends/:backend_id/machines', {
    schema: {
      tags: ['machines (backends API)'],
      summary: 'Create a machine',
      description: 'key is required except on docker; docker_* fields are for docker backends only (docker_command required there). ' +
        'An admin password is generated and kept, sealed, for the machine API. Location points at the machine API\'s record.',
      params: BackendParams,
      body: MachineCreateBody,
      response: { 201: MistMachineCreated, ...problemResponses(400, 404, 406, 413, 415, 422, ...PROVIDER_PROBLEMS) }
    }
  }, async (request, reply) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    const machine = await app.machines.create(actor(request), backend, request.body)
    reply.code(201).header('location', `/api/machine/${machine.id}`)
    return toMistMachineCreated(machine)
  })

  app.post('/backends/:backend_id/machines/:machine_id', {
    schema: {
      tags: ['machines (backends API)'],
      summary: 'Reboot, shut down, start or destroy a machine',
      description: 'Accepted actions answer 202 with the machine in its transitional state; the final state is recorded when the provider reports it. ' +
        '409 (invalid-state): not valid in the current state, try later. 422 (action-not-supported): the provider can never do it for this machine.',
      params: MachineParams,
      body: MachineActionBody,
      response: { 202: MistMachine, ...problemResponses(400, 404, 406, 409, 413, 415, 422, ...PROVIDER_PROBLEMS) }
    }
  }, async (request, reply) => {
    const machine = await findMachineAt(app.db, actor(request), request.params.backend_id, request.params.machine_id)
    const updated = await app.machines.act(machine, request.body.action)
    return reply.code(202).send(toMistMachine(updated, app.providers.driverFor(machine.backend)))
  })

  app.post('/backends/:backend_id/machines/:machine_id/metadata', {
    schema: {
      tags: ['machines (backends API)'],
      summary: 'Tag a machine',
      description: 'Adds the tag unless the machine has it already; answers the machine\'s tags.',
      params: MachineParams,
      body: TagBody,
      response: { 200: TagList, ...problemResponses(400, 404, 406, 409, 413, 415) }
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
