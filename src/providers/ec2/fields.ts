import { Type } from '@sinclair/typebox'

/** An EC2 backend's fields, as its branch of the backend bodies in the API document (mist.io's names). */
export const EC2_CREDENTIALS = {
  api_key: Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Z0-9]{16,128}$', description: 'An IAM access key id (AKIA…); a credential, never returned' }),
  api_secret: Type.String({ minLength: 16, maxLength: 128, pattern: '^[\\x21-\\x7e]{16,128}$', description: 'The access key\'s secret; a credential, never returned' })
}

export const EC2_SETTINGS = {
  region: Type.String({ pattern: '^[a-z]{2}(-[a-z]{1,12}){1,2}-\\d{1,2}$', maxLength: 32, examples: ['ap-northeast-1'], description: 'The AWS region the backend manages, e.g. ap-northeast-1' }),
  subnet_id: Type.Optional(Type.String({ pattern: '^subnet-[0-9a-f]{8,17}$', maxLength: 24, description: 'Where new instances go; without it, the region\'s default VPC (an account without one must name a subnet)' })),
  security_group_ids: Type.Optional(Type.Array(Type.String({ pattern: '^sg-[0-9a-f]{8,17}$', maxLength: 20 }), {
    maxItems: 5, description: 'Security groups of new instances; without them, the default security group of their VPC'
  })),
  images: Type.Optional(Type.Array(Type.String({ pattern: '^ami-[0-9a-f]{8,17}$', maxLength: 21 }), { maxItems: 50, description: 'AMI ids offered besides the account\'s own and the public ones Stratus lists' }))
}
