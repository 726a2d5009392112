import type { EndpointSpec, Endpoints } from '../kit/endpoints.ts'

/** The AWS SDK's own convention: the service's variable, then AWS_ENDPOINT_URL (full URLs). */
export const EC2_ENDPOINTS = {
  ec2: { env: ['AWS_ENDPOINT_URL_EC2', 'AWS_ENDPOINT_URL'], default: null, description: 'Amazon EC2; unset, the SDK\'s endpoint for the backend\'s region (https://ec2.<region>.amazonaws.com)' },
  pricing: { env: ['AWS_ENDPOINT_URL_PRICING', 'AWS_ENDPOINT_URL'], default: null, description: 'The AWS Price List Query API; unset, the SDK\'s endpoint in us-east-1' }
} as const satisfies Record<string, EndpointSpec>

export type Ec2Endpoints = Endpoints<typeof EC2_ENDPOINTS>
