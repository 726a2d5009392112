import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { notFound, PROBLEM_TYPES, problemTypeUri, type ProblemType } from '../problems.ts'
import { problemResponses } from '../schemas/problem.ts'

const ProblemTypeDoc = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer()
}, { xml: { name: 'problemType' } })

/** Makes every problem `type` URI resolvable: GET it to learn what the problem means. */
const problemTypes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/problems/:name', {
    config: { public: true },
    schema: {
      operationId: 'getProblemType',
      tags: ['meta'],
      summary: 'Describe a problem type',
      params: Type.Object({ name: Type.String({ maxLength: 64 }) }),
      response: { 200: ProblemTypeDoc, ...problemResponses(400, 404) }
    }
  }, async (request) => {
    const name = request.params.name
    if (!Object.hasOwn(PROBLEM_TYPES, name)) throw notFound(`problem type ${name}`)
    const { status, title } = PROBLEM_TYPES[name as ProblemType]
    return { type: problemTypeUri(name as ProblemType), title, status }
  })
}

export default problemTypes
