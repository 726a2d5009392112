import { Agent } from 'node:https'
import { EC2Client } from '@aws-sdk/client-ec2'
import { PricingClient } from '@aws-sdk/client-pricing'
import type { ProviderError } from '../provider-error.ts'
import { httpFailure, networkFailure } from '../kit/http-failure.ts'
import type { Ec2Endpoints } from './endpoints.ts'

/** An access key, as the backend's sealed fields give it. */
export interface AccessKey { accessKeyId: string, secretAccessKey: string }

/** One keep-alive pool for every backend's clients: a connection carries no credential (each request is signed). */
const agent = new Agent({ keepAlive: true, maxSockets: 50 })

/**
 * The settings every client of a backend is built with, and nothing read from the server's own
 * environment or ~/.aws: its access key, its region, our endpoint (or the SDK's regional one),
 * and no retries of the SDK's own (the kit's CloudCalls retries, honouring the server's policy).
 */
const clientSettings = (key: AccessKey, region: string, endpoint: string | undefined) => ({
  region,
  credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
  ...(endpoint === undefined ? {} : { endpoint }),
  ignoreConfiguredEndpointUrls: true,
  useFipsEndpoint: false,
  useDualstackEndpoint: false,
  maxAttempts: 1,
  requestHandler: { httpsAgent: agent }
})

export const ec2Client = (key: AccessKey, region: string, endpoints: Ec2Endpoints): EC2Client => new EC2Client(clientSettings(key, region, endpoints.ec2))

/** The price list answers in us-east-1 (it also signs for eu-central-1 and ap-south-1 only), whatever the backend's region. */
export const pricingClient = (key: AccessKey, endpoints: Ec2Endpoints): PricingClient => new PricingClient(clientSettings(key, 'us-east-1', endpoints.pricing))

/** Codes by which EC2 refuses the credentials themselves (401/403 by status, whatever status it sends). */
const CREDENTIAL_CODES = new Set(['AuthFailure', 'UnauthorizedOperation', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'OptInRequired', 'Blocked', 'AccessDenied', 'AccessDeniedException', 'UnrecognizedClientException'])
/** Codes by which it asks for quiet: EC2 sends RequestLimitExceeded as 503, without Retry-After. */
const THROTTLING_CODES = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException'])

interface AwsError { name?: string, message?: string, $metadata?: { httpStatusCode?: number }, $response?: { headers?: Record<string, string> } }

/**
 * An AWS SDK error as a ProviderError, through the kit's one classifier: the error code decides
 * what a status alone cannot (EC2 answers every refusal 400, throttling 503, a missing
 * instance 400 `InvalidInstanceID.NotFound`). No answer at all: a timeout or an unreachable cloud.
 */
export function classify (cloud: string) {
  return (error: unknown, signal: AbortSignal): ProviderError => {
    const aws = error as AwsError
    const status = aws.$metadata?.httpStatusCode
    if (status === undefined) return networkFailure(cloud, error, signal)
    const code = aws.name ?? ''
    const as = CREDENTIAL_CODES.has(code) ? 401 : THROTTLING_CODES.has(code) ? 429 : code.endsWith('.NotFound') ? 404 : status
    return httpFailure(cloud, { status: as, header: (name) => aws.$response?.headers?.[name], message: aws.message, code }, error)
  }
}
