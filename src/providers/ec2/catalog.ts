/**
 * Fixed data about EC2: the public images Stratus offers besides the account's own, and where
 * each region is.
 */

/**
 * Public AMIs offered in every region: the newest image of each family, found by its owner and
 * name pattern (DescribeImages). Owner ids are the publishers' own (Canonical's and Debian's, as
 * their documentation gives them; "amazon" is an owner alias).
 */
export const PUBLIC_IMAGE_FAMILIES = [
  { family: 'Amazon Linux 2023', owner: 'amazon', name: 'al2023-ami-2023.*-x86_64' },
  { family: 'Ubuntu 24.04 LTS', owner: '099720109477', name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*' },
  { family: 'Debian 12', owner: '136693071363', name: 'debian-12-amd64-*' }
] as const

/** ISO 3166 country of each region (the backends API's location `country`). */
const COUNTRY_OF_REGION: Readonly<Record<string, string>> = {
  'us-east-1': 'US',
  'us-east-2': 'US',
  'us-west-1': 'US',
  'us-west-2': 'US',
  'ca-central-1': 'CA',
  'ca-west-1': 'CA',
  'sa-east-1': 'BR',
  'mx-central-1': 'MX',
  'eu-west-1': 'IE',
  'eu-west-2': 'GB',
  'eu-west-3': 'FR',
  'eu-central-1': 'DE',
  'eu-central-2': 'CH',
  'eu-north-1': 'SE',
  'eu-south-1': 'IT',
  'eu-south-2': 'ES',
  'ap-northeast-1': 'JP',
  'ap-northeast-2': 'KR',
  'ap-northeast-3': 'JP',
  'ap-southeast-1': 'SG',
  'ap-southeast-2': 'AU',
  'ap-southeast-3': 'ID',
  'ap-southeast-4': 'AU',
  'ap-southeast-5': 'MY',
  'ap-southeast-7': 'TH',
  'ap-south-1': 'IN',
  'ap-south-2': 'IN',
  'ap-east-1': 'HK',
  'me-south-1': 'BH',
  'me-central-1': 'AE',
  'il-central-1': 'IL',
  'af-south-1': 'ZA'
}

export const countryOfRegion = (region: string): string => COUNTRY_OF_REGION[region] ?? ''

/**
 * A Stratus tag as an EC2 tag: `key=value` is the tag `key` with that value; a tag without `=`
 * (the backends document's "Backup Machine") is a tag of that key with an empty value.
 */
export function ec2TagOf (tag: string): { Key: string, Value: string } {
  const at = tag.indexOf('=')
  return at <= 0 ? { Key: tag, Value: '' } : { Key: tag.slice(0, at), Value: tag.slice(at + 1) }
}

/** An EC2 tag as a Stratus tag (the inverse of ec2TagOf). */
export const stratusTagOf = (tag: { Key?: string, Value?: string }): string => (tag.Value ?? '') === '' ? String(tag.Key) : `${String(tag.Key)}=${String(tag.Value)}`

/** The instance's name lives in this tag (EC2's console convention); it is the machine's name, not one of its tags. */
export const NAME_TAG = 'Name'
