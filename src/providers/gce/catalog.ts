/**
 * Fixed data about GCE: the public image families Stratus offers besides the project's own, and
 * where each region is.
 */

/**
 * Public images offered to every project: the newest image of each family, read with
 * images.getFromFamily (cloud.google.com/compute/docs/images/os-details, read 2026-12).
 */
export const PUBLIC_IMAGE_FAMILIES = [
  { project: 'debian-cloud', family: 'debian-12' },
  { project: 'ubuntu-os-cloud', family: 'ubuntu-2404-lts-amd64' },
  { project: 'rocky-linux-cloud', family: 'rocky-linux-9' },
  { project: 'cos-cloud', family: 'cos-stable' }
] as const

/** ISO 3166 country of each region (the backends API's location `country`), by the region's city. */
const COUNTRY_OF_REGION: Readonly<Record<string, string>> = {
  'us-central1': 'US',
  'us-east1': 'US',
  'us-east4': 'US',
  'us-east5': 'US',
  'us-south1': 'US',
  'us-west1': 'US',
  'us-west2': 'US',
  'us-west3': 'US',
  'us-west4': 'US',
  'northamerica-northeast1': 'CA',
  'northamerica-northeast2': 'CA',
  'northamerica-south1': 'MX',
  'southamerica-east1': 'BR',
  'southamerica-west1': 'CL',
  'europe-west1': 'BE',
  'europe-west2': 'GB',
  'europe-west3': 'DE',
  'europe-west4': 'NL',
  'europe-west6': 'CH',
  'europe-west8': 'IT',
  'europe-west9': 'FR',
  'europe-west10': 'DE',
  'europe-west12': 'IT',
  'europe-north1': 'FI',
  'europe-north2': 'SE',
  'europe-central2': 'PL',
  'europe-southwest1': 'ES',
  'asia-east1': 'TW',
  'asia-east2': 'HK',
  'asia-northeast1': 'JP',
  'asia-northeast2': 'JP',
  'asia-northeast3': 'KR',
  'asia-south1': 'IN',
  'asia-south2': 'IN',
  'asia-southeast1': 'SG',
  'asia-southeast2': 'ID',
  'australia-southeast1': 'AU',
  'australia-southeast2': 'AU',
  'me-central1': 'QA',
  'me-central2': 'SA',
  'me-west1': 'IL',
  'africa-south1': 'ZA'
}

/** A zone's region: the zone name without its letter (europe-west1-b -> europe-west1). */
export const regionOfZone = (zone: string): string => zone.replace(/-[a-z]$/, '')

export const countryOfZone = (zone: string): string => COUNTRY_OF_REGION[regionOfZone(zone)] ?? ''

/** The last segment of a GCE resource URL (zones/europe-west1-b, machineTypes/e2-micro). */
export const lastSegment = (url: string | null | undefined): string | null => url === null || url === undefined || url === '' ? null : url.slice(url.lastIndexOf('/') + 1)

/** A machine id names the instance's zone and name: a path segment, unique in the project. */
export const machineIdOf = (zone: string, name: string): string => `${zone}~${name}`

export function instanceOf (id: string): { zone: string, name: string } | null {
  const match = /^([a-z0-9-]{1,63})~([a-z]([-a-z0-9]{0,61}[a-z0-9])?)$/.exec(id)
  return match === null ? null : { zone: match[1]!, name: match[2]! }
}
