import t from 'tap'
import { ProviderError } from '../../../src/providers/provider-error.ts'
import { AzureFake } from '../../fakes/azure-fake.ts'
import { directAzureDriver } from './direct-driver.ts'

const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test'

// A VM's network parts (a virtual network, a public IP, a NIC) are made before the VM: when Azure
// refuses the VM, the IP and NIC made for it must not stay behind (a static IP bills by the hour).
t.test('a VM Azure refuses leaves no public IP or NIC behind; the virtual network stays for the next', async (t) => {
  const fake = await new AzureFake().start()
  t.teardown(() => fake.close())
  const { driver, principal } = directAzureDriver(fake, 'network', { retries: 0 })
  const spec = {
    name: 'refused',
    size: 'Standard_B1s',
    image: 'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest',
    location: 'westeurope',
    clientToken: '6f1c1d9e-8d0f-4c55-9d59-3f2b1a0c7e11',
    publicKey: PUBLIC_KEY,
    script: null,
    adminPassword: 'Aa1!aaaaaaaaaaaaaaaa',
    monitoring: false,
    providerFields: {}
  }
  fake.faults.add({ status: 400, match: (request) => request.method === 'PUT' && request.url.pathname.includes('/virtualMachines/refused') })
  const refused = await driver.createMachine(spec).catch((error: unknown) => error)
  t.ok(refused instanceof ProviderError && refused.certainlyNotDone, 'the create is refused')
  t.same(fake.left(principal.subscription_id), ['Microsoft.Network/virtualNetworks'], 'only the virtual network remains')

  const made = await driver.createMachine({ ...spec, name: 'accepted' })
  t.equal(made.clientToken, spec.clientToken)
  t.same(fake.left(principal.subscription_id).filter((type) => type.startsWith('Microsoft.Network/')),
    ['Microsoft.Network/networkInterfaces', 'Microsoft.Network/publicIPAddresses', 'Microsoft.Network/virtualNetworks'], 'a VM accepted keeps its parts')
})
