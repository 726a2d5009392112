import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { GATE_CONTROL_ACTIONS } from '../domain/lifecycle.ts'
import { actor } from '../plugins/auth.ts'
import { GATE_STATES, machineStatesFor } from '../domain/machine-states.ts'
import { archivedMachine } from '../problems.ts'
import { toGateMachine, toGateSummary } from '../representations/gate-machine.ts'
import {
  GateControlBody, GateMachine, GateMachineList, GateMachineListQuery, GateMachineParams, GateRenameBody
} from '../schemas/gate-machine.ts'
import { PROVIDER_PROBLEMS, problemResponses } from '../schemas/problem.ts'
import { findMachine, machineNotFound } from '../services/lookup.ts'
import { readMachineDetails, readMachineSummaries } from '../services/machine-reads.ts'
import { MACHINE_API } from '../domain/vocabulary.ts'

const DEFAULT_STATES = machineStatesFor(GATE_STATES.filter((state) => state !== 'destroyed'))

/** The machine API (GATE Cloud document): list by state, details, rename, start/stop. */
const machineApi: FastifyPluginAsyncTypebox<{ publicBaseUrl: string | undefined }> = async (app, options) => {
  const baseUrl = (request: FastifyRequest): string => options.publicBaseUrl ?? `${request.protocol}://${request.host}`

  app.get('/api/machine', {
    schema: {
      operationId: 'listMachines',
      tags: ['machines (machine API)'],
      summary: 'List machines, optionally by state',
      description: 'state is repeatable (?state=active&state=stopping); without it every machine but destroyed ones is listed.',
      querystring: GateMachineListQuery,
      response: { 200: GateMachineList, ...problemResponses(400) }
    }
  }, async (request) => {
    const states = request.query.state === undefined ? DEFAULT_STATES : machineStatesFor(request.query.state)
    const rows = await readMachineSummaries(app.sql, actor(request), states)
    const base = baseUrl(request)
    return rows.map((row) => toGateSummary(row, base))
  })

  app.get('/api/machine/:id', {
    schema: {
      operationId: 'getMachine',
      tags: ['machines (machine API)'],
      summary: 'Machine details',
      params: GateMachineParams,
      response: { 200: GateMachine, ...problemResponses(400, 404) }
    }
  }, async (request) => {
    const machine = await readMachineDetails(app.sql, actor(request), request.params.id)
    if (machine === undefined) throw machineNotFound({ id: request.params.id })
    return toGateMachine(machine, app.secrets)
  })

  app.post('/api/machine/:id', {
    schema: {
      operationId: 'renameMachine',
      tags: ['machines (machine API)'],
      summary: 'Rename a machine',
      description: 'The name is the only detail that can change. Answers like GET. Destroyed machines are archive records and cannot change (409).',
      params: GateMachineParams,
      body: GateRenameBody,
      response: { 200: GateMachine, ...problemResponses(400, 404, 409, 413, 415) }
    }
  }, async (request) => {
    const machine = await findMachine(app.db, actor(request), request.params.id)
    const { count } = await app.db.machine.updateMany({
      where: { id: machine.id, state: { not: 'terminated' } },
      data: { name: request.body.name }
    })
    if (count === 0) throw archivedMachine('renamed', 'destroyed')
    return toGateMachine(await app.db.machine.findUniqueOrThrow({ where: { id: machine.id } }), app.secrets)
  })

  app.post('/api/machine/:id/control', {
    schema: {
      operationId: 'controlMachine',
      tags: ['machines (machine API)'],
      summary: 'Start an inactive machine or stop an active one',
      description: '204 when accepted. 409 (invalid-state) when the action is not valid in the current state (state and allowed_actions in this API\'s words), or the backend is disabled; ' +
        '422 (action-not-supported) when the provider can never do it for this machine.',
      params: GateMachineParams,
      body: GateControlBody,
      response: { 204: Type.Null({ description: 'Accepted' }), ...problemResponses(400, 404, 409, 413, 415, 422, ...PROVIDER_PROBLEMS) }
    }
  }, async (request, reply) => {
    const machine = await findMachine(app.db, actor(request), request.params.id)
    await app.machines.act(machine, GATE_CONTROL_ACTIONS[request.body.action as keyof typeof GATE_CONTROL_ACTIONS], MACHINE_API)
    return reply.code(204).send(null)
  })
}

export default machineApi
