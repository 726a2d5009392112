import { Type } from '@sinclair/typebox'

/** GCE's names for projects and zones: lower-case letters, digits and hyphens. */
const PROJECT = '^[a-z][-a-z0-9]{4,28}[a-z0-9]$'
const ZONE = '^[a-z]{2,12}(-[a-z]{1,12}){1,2}\\d{1,2}-[a-z]$'

/** A GCE backend's fields: a service account's JSON key (credentials) and where it works (settings). */
export const GCE_CREDENTIALS = {
  private_key: Type.String({
    minLength: 2,
    maxLength: 8192,
    pattern: '^\\{[\\x20-\\x7e\\t\\r\\n]{0,8190}\\}$',
    description: 'The service account\'s JSON key file, as one string (type, project_id, client_email, private_key, …); a credential, sealed, never returned'
  })
}

export const GCE_SETTINGS = {
  project_id: Type.String({ minLength: 6, maxLength: 30, pattern: PROJECT, examples: ['my-project-1234'], description: 'The Google Cloud project whose instances the backend manages (every zone)' }),
  zone: Type.String({ minLength: 6, maxLength: 40, pattern: ZONE, examples: ['europe-west1-b'], description: 'The zone whose machine types are the sizes, and where a create without a location goes' }),
  network: Type.Optional(Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$', description: 'The VPC network of new instances (default: default)' }))
}
