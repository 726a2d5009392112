/** The tag prefix that carries our uuid (the create's client token) on a droplet. */
export const CLIENT_TOKEN_TAG = 'stratus-client-token:'

/** DigitalOcean region slugs by their city prefix -> ISO country (its API names no country). */
const COUNTRIES: Readonly<Record<string, string>> = {
  nyc: 'US', sfo: 'US', atl: 'US', ams: 'NL', sgp: 'SG', lon: 'GB', fra: 'DE', tor: 'CA', blr: 'IN', syd: 'AU'
}

export const countryOfRegion = (slug: string): string => COUNTRIES[slug.replace(/\d+$/, '')] ?? ''
