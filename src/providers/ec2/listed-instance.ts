import type { Instance } from '@aws-sdk/client-ec2'
import type { ProviderLog, ProviderMachine } from '../driver.ts'
import { stateOf } from '../kit/status-table.ts'
import { cloudTime } from '../kit/cloud-time.ts'
import { NAME_TAG, stratusTagOf } from './catalog.ts'
import { INSTANCE_STATES } from './states.ts'

const iso = (date: Date | undefined): string | null => date === undefined ? null : date.toISOString()

/**
 * An instance as a listed machine. `extra` carries what the backends document's example shows,
 * under its names (instanceId, dns_name, private_dns, launchdatetime, imageId, kernelid, ramdiskid,
 * keyname, availability, instancetype, clienttoken, launchindex, status, tags, groups, productcode,
 * iam_profile), null where EC2 has none, and the instance's network besides.
 */
export function presentInstance (instance: Instance, log: ProviderLog): ProviderMachine {
  const tags = instance.Tags ?? []
  const name = tags.find((tag) => tag.Key === NAME_TAG)?.Value
  const status = instance.State?.Name ?? ''
  return {
    id: String(instance.InstanceId),
    name: name === undefined || name === '' ? String(instance.InstanceId) : name,
    state: stateOf('ec2', INSTANCE_STATES, status, log),
    providerState: status,
    // "User initiated (2026-12-06 10:00:00 GMT)": EC2's only time of a stop.
    providerStateAt: cloudTime(/\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT)\)/.exec(instance.StateTransitionReason ?? '')?.[1]),
    size: instance.InstanceType ?? null,
    image: instance.ImageId ?? null,
    location: instance.Placement?.AvailabilityZone ?? null,
    publicIps: instance.PublicIpAddress === undefined ? [] : [instance.PublicIpAddress],
    privateIps: instance.PrivateIpAddress === undefined ? [] : [instance.PrivateIpAddress],
    publicUrl: null,
    clientToken: instance.ClientToken === undefined || instance.ClientToken === '' ? null : instance.ClientToken,
    tags: tags.filter((tag) => tag.Key !== NAME_TAG).map(stratusTagOf),
    extra: {
      instanceId: instance.InstanceId ?? null,
      dns_name: instance.PublicDnsName || null,
      private_dns: instance.PrivateDnsName || null,
      launchdatetime: iso(instance.LaunchTime),
      imageId: instance.ImageId ?? null,
      kernelid: instance.KernelId ?? null,
      ramdiskid: instance.RamdiskId ?? null,
      keyname: instance.KeyName ?? null,
      availability: instance.Placement?.AvailabilityZone ?? null,
      instancetype: instance.InstanceType ?? null,
      clienttoken: instance.ClientToken ?? '',
      // As the document shows them (Libcloud's): the launch index as a string, the groups by name.
      launchindex: String(instance.AmiLaunchIndex ?? 0),
      status,
      tags: Object.fromEntries(tags.map((tag) => [String(tag.Key), tag.Value ?? ''])),
      groups: (instance.SecurityGroups ?? []).map((group) => group.GroupName ?? null),
      group_ids: (instance.SecurityGroups ?? []).map((group) => group.GroupId ?? null),
      productcode: (instance.ProductCodes ?? []).map((code) => code.ProductCodeId ?? null),
      iam_profile: instance.IamInstanceProfile?.Arn ?? null,
      vpc_id: instance.VpcId ?? null,
      subnet_id: instance.SubnetId ?? null,
      architecture: instance.Architecture ?? null,
      monitoring: instance.Monitoring?.State ?? null
    }
  }
}
