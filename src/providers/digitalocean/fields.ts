import { Type } from '@sinclair/typebox'

/** A DigitalOcean backend's fields, as its branch of the backend bodies in the API document. */
export const DIGITALOCEAN_CREDENTIALS = {
  token: Type.String({
    minLength: 1,
    maxLength: 512,
    pattern: '^[\\x21-\\x7e]+$',
    description: 'A DigitalOcean personal access token with read and write scope (Control Panel > API > Tokens); a credential, never returned'
  })
}

export const DIGITALOCEAN_SETTINGS = {}
