import type { ProviderImage } from '../driver.ts'

/** The tag that carries our uuid (the create's client token) on a VM. */
export const CLIENT_TOKEN_TAG = 'stratus-client-token'

/** The marketplace images every Azure backend lists (docs/clouds.md, "Azure"); any other URN works too. */
export const AZURE_IMAGES: readonly ProviderImage[] = [
  { id: 'Canonical:ubuntu-24_04-lts:server:latest', name: 'Ubuntu Server 24.04 LTS', extra: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' } },
  { id: 'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest', name: 'Ubuntu Server 22.04 LTS', extra: { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2' } },
  { id: 'Debian:debian-12:12-gen2:latest', name: 'Debian 12', extra: { publisher: 'Debian', offer: 'debian-12', sku: '12-gen2' } },
  { id: 'RedHat:RHEL:9-lvm-gen2:latest', name: 'Red Hat Enterprise Linux 9', extra: { publisher: 'RedHat', offer: 'RHEL', sku: '9-lvm-gen2' } }
]

export const imageOfUrn = (urn: string): { publisher: string, offer: string, sku: string, version: string } | null => {
  const parts = urn.split(':')
  if (parts.length !== 4 || parts.some((part) => part === '')) return null
  const [publisher, offer, sku, version] = parts as [string, string, string, string]
  return { publisher, offer, sku, version }
}

/** Azure's `physicalLocation` -> ISO country, for the locations list (its API names no country code). */
const COUNTRIES: Readonly<Record<string, string>> = {
  Netherlands: 'NL',
  Ireland: 'IE',
  Virginia: 'US',
  Washington: 'US',
  Texas: 'US',
  Iowa: 'US',
  California: 'US',
  Illinois: 'US',
  Wyoming: 'US',
  Arizona: 'US',
  London: 'GB',
  Cardiff: 'GB',
  Frankfurt: 'DE',
  Berlin: 'DE',
  Paris: 'FR',
  Marseille: 'FR',
  Zurich: 'CH',
  Geneva: 'CH',
  Oslo: 'NO',
  Stavanger: 'NO',
  Gävle: 'SE',
  Milan: 'IT',
  Madrid: 'ES',
  Warsaw: 'PL',
  Singapore: 'SG',
  'Hong Kong': 'HK',
  'Tokyo, Saitama': 'JP',
  Osaka: 'JP',
  Seoul: 'KR',
  Busan: 'KR',
  Pune: 'IN',
  Chennai: 'IN',
  Mumbai: 'IN',
  'New South Wales': 'AU',
  Victoria: 'AU',
  Canberra: 'AU',
  Toronto: 'CA',
  'Quebec City': 'CA',
  'Sao Paulo State': 'BR',
  Johannesburg: 'ZA',
  'Cape Town': 'ZA',
  Dubai: 'AE',
  'Abu Dhabi': 'AE',
  Doha: 'QA'
}

export const countryOf = (physicalLocation: string | undefined): string => physicalLocation === undefined ? '' : COUNTRIES[physicalLocation] ?? ''
