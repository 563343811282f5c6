import { startCluster } from '/work/main/test/cluster/harness/index';
async function main(): Promise<void> {
  const t0 = Date.now();
  const c = await startCluster({
    simulator: false,
    log: (m) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)}] ${m}`),
  });
  console.log('started', c.server, c.version, c.kubeconfigPath, (Date.now() - t0) / 1000);
  const r = await c.kubectl(['get', 'nodes', '-o', 'wide']);
  console.log(r.stdout, r.stderr);
  const ns = await c.createNamespace('smoke');
  console.log('ns', ns);
  await c.stop();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
