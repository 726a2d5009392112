/** What a service account's JSON key holds that Stratus reads. */
export interface ServiceAccountKey { client_email: string, private_key: string, project_id?: string }

/**
 * The key as the backend's sealed `private_key` field holds it (the whole JSON key file), or the
 * sentences saying why it is not one: checked at add, before any call is made.
 */
export function parseServiceAccountKey (text: string): ServiceAccountKey | string[] {
  let key: Record<string, unknown>
  try {
    key = JSON.parse(text) as Record<string, unknown>
  } catch {
    return ['private_key must be the service account\'s JSON key file, as one string (it is not JSON)']
  }
  const problems: string[] = []
  if (key === null || typeof key !== 'object' || Array.isArray(key)) return ['private_key must be a JSON object (the service account\'s key file)']
  if (key.type !== 'service_account') problems.push('private_key: the key\'s "type" must be "service_account"')
  if (typeof key.client_email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(key.client_email)) problems.push('private_key: the key has no "client_email"')
  if (typeof key.private_key !== 'string' || !/-----BEGIN (RSA )?PRIVATE KEY-----/.test(key.private_key)) problems.push('private_key: the key has no PEM "private_key"')
  return problems.length > 0 ? problems : key as unknown as ServiceAccountKey
}
