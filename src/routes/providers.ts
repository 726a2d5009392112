import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { TProperties } from '@sinclair/typebox'
import { OptionalKind } from '@sinclair/typebox'
import { ProviderList } from '../schemas/backend.ts'

const fieldsOf = (properties: TProperties, credential: boolean) => Object.entries(properties).map(([name, schema]) => ({
  name,
  required: schema[OptionalKind] !== 'Optional',
  credential,
  description: typeof schema.description === 'string' ? schema.description : ''
}))

/** The provider types this server has loaded, with the fields a backend of each takes (mist.io's /providers). */
const providers: FastifyPluginAsyncTypebox = async (app) => {
  const list = {
    supported_providers: app.providers.definitions.map(([provider, definition]) => ({
      provider,
      title: definition.title,
      machine_kind: definition.machineKind,
      fields: [...fieldsOf(definition.credentials, true), ...fieldsOf(definition.settings, false)]
    }))
  }

  app.get('/providers', {
    schema: {
      operationId: 'listProviders',
      tags: ['backends'],
      summary: 'List the providers this server has loaded',
      description: 'Each with the fields POST /backends takes for it. mist.io\'s clients read supported_providers.',
      response: { 200: ProviderList }
    }
  }, async () => list)
}

export default providers
