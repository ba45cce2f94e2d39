// Stops the containers of containers-setup.mjs (TEST_INFRA=containers), volumes included.
export default async function stopContainers() {
  const containers = globalThis.__billingContainers ?? [];
  await Promise.all(containers.map((c) => c.stop({ removeVolumes: true })));
}
