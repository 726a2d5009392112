import type { ProviderImage, ProviderLocation, ProviderSize } from '../driver.ts'

/** What the simulated cloud offers. Spot sizes, as on real clouds, can be destroyed but never stopped. */
export const SANDBOX_SIZES: readonly ProviderSize[] = [
  { id: 'sbx.micro', name: 'Micro (1 vCPU, 512 MiB)', cpus: 1, ramMb: 512, diskGb: 10, hourlyPrice: '0.005000', currency: 'USD' },
  { id: 'sbx.small', name: 'Small (1 vCPU, 2 GiB)', cpus: 1, ramMb: 2048, diskGb: 25, hourlyPrice: '0.015000', currency: 'USD' },
  { id: 'sbx.medium', name: 'Medium (2 vCPU, 4 GiB)', cpus: 2, ramMb: 4096, diskGb: 50, hourlyPrice: '0.041600', currency: 'USD' },
  { id: 'sbx.large', name: 'Large (4 vCPU, 16 GiB)', cpus: 4, ramMb: 16384, diskGb: 100, hourlyPrice: '0.166400', currency: 'USD' },
  { id: 'sbx.spot.small', name: 'Spot small (1 vCPU, 2 GiB; cannot be stopped)', cpus: 1, ramMb: 2048, diskGb: 25, hourlyPrice: '0.004500', currency: 'USD' }
]

export const SPOT_SIZES: ReadonlySet<string> = new Set(['sbx.spot.small'])

export const SANDBOX_IMAGES: readonly ProviderImage[] = [
  { id: 'ubuntu-24.04', name: 'Ubuntu 24.04 LTS', extra: { os: 'linux', arch: 'x86_64' } },
  { id: 'debian-12', name: 'Debian 12', extra: { os: 'linux', arch: 'x86_64' } },
  { id: 'alpine-3.20', name: 'Alpine Linux 3.20', extra: { os: 'linux', arch: 'x86_64' } }
]

export const SANDBOX_LOCATIONS: readonly ProviderLocation[] = [
  { id: 'sbx-eu-1', name: 'Sandbox Amsterdam', country: 'NL' },
  { id: 'sbx-us-1', name: 'Sandbox Oregon', country: 'US' },
  { id: 'sbx-ap-1', name: 'Sandbox Tokyo', country: 'JP' }
]
