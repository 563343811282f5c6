// The packaged extension in real VS Code against the local cluster: the GPUs view shows a DRA GPU pool (devices
// from ResourceSlices, a pod whose claim the real scheduler allocated) and the utilisation a dcgm-exporter
// reports for that pod, read through the apiserver's service proxy while the view is visible.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, waitFor, type Workbench } from './harness';
import { apply, attachCluster, ensureVsix, gantryErrors, noCluster, Timer } from './clusterScenario';
import type { TestCluster } from '../cluster/harness/index';
import { DRA_TAINT, H100_PRODUCT, publishDraPool, type DraPool } from '../cluster/harness/dra';
import { startSimExporter, type SimExporter } from '../cluster/harness/exporter';

const G = 'GPUs';

describe('GPUs view with DRA devices and utilisation', { skip: noCluster }, () => {
  let wb: Workbench;
  let cluster: TestCluster;
  let ns: string;
  let pool: DraPool;
  let exporter: SimExporter;
  let podName = '';
  const timer = new Timer('gpus');

  before(async () => {
    ensureVsix();
    timer.lap('package');
    ({ cluster } = await attachCluster());
    ns = await cluster.createNamespace('e2e-gpus');
    pool = await publishDraPool(cluster);
    await apply(
      cluster,
      {
        apiVersion: 'resource.k8s.io/v1',
        kind: 'ResourceClaimTemplate',
        metadata: { name: 'h100x4', namespace: ns },
        spec: {
          spec: {
            devices: {
              requests: [{ name: 'gpu', exactly: { deviceClassName: 'gpu.nvidia.com', count: 4 } }],
            },
          },
        },
      },
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'dra-train', namespace: ns },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { annotations: { 'sim.gantry.dev/duration': '900s' } },
            spec: {
              restartPolicy: 'Never',
              tolerations: [{ ...DRA_TAINT, operator: 'Equal' }],
              nodeSelector: { 'kubernetes.io/hostname': pool.nodes[0] },
              resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'h100x4' }],
              containers: [{ name: 'main', image: 'trainer:1', resources: { claims: [{ name: 'gpu' }] } }],
            },
          },
        },
      },
    );
    // The real scheduler allocates the claim and binds the pod.
    const claim = await waitFor(
      'the claim allocated',
      async () => {
        const r = await cluster.kubectl(['get', 'resourceclaims,pods', '-n', ns, '-o', 'json']);
        const items = (JSON.parse(r.stdout) as { items: Record<string, any>[] }).items; // eslint-disable-line @typescript-eslint/no-explicit-any
        const c = items.find((i) => i.kind === 'ResourceClaim' && i.status?.allocation);
        const p = items.find((i) => i.kind === 'Pod' && i.spec.nodeName && i.status?.phase === 'Running');
        if (!c || !p) return undefined;
        podName = p.metadata.name as string;
        return c;
      },
      60_000,
    );
    exporter = await startSimExporter(cluster, ns);
    const devices = (claim.status.allocation.devices.results as { device: string }[]).map((r) => r.device);
    exporter.setGpus(
      devices.map((d, i) => ({
        uuid: pool.uuid(pool.nodes[0]!, d),
        gpu: Number(d.replace('gpu-', '')),
        host: pool.nodes[0]!,
        util: [95, 94, 93, 94][i]!,
        fbUsedMiB: 71000,
        powerW: 610,
      })),
    );
    timer.lap('cluster objects');
    wb = await launch({
      name: 'gpus',
      env: { KUBECONFIG: cluster.kubeconfigPath },
      viewport: { width: 1400, height: 1300 },
      settings: {
        'gantry.gpus.metricsExporter': `${ns}/dcgm-exporter:metrics`,
        'gantry.gpus.metricsInterval': 5,
      },
    });
    timer.lap('launch');
  });

  after(async () => {
    console.log(timer.report());
    await wb?.close();
    await exporter?.dispose();
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
    await pool?.dispose();
  });

  it('shows the DRA nodes under the H100 model with devices, MIG partitions and the pod with its utilisation', () =>
    wb.guard('dra', async () => {
      await wb.openGantry();
      await wb.expandView(G);
      await wb.waitForTreeItem(G, H100_PRODUCT, 60_000);
      const [n0, n1] = pool.nodes as [string, string];
      await wb.waitForTreeItem(G, n0, 60_000);
      const items = await wb.treeItems(G);
      const node0 = items.find((i) => i.label === n0)!;
      assert.equal(node0.description, 'gpu.nvidia.com 4/8 free · Tainted');
      const node1 = items.find((i) => i.label === n1)!;
      assert.equal(node1.description, 'gpu.nvidia.com 8/8 free · 1g.10gb 7/7 free · Tainted');
      await wb.clickTreeItem(G, n0);
      const row = await waitFor(
        'the pod row with its utilisation',
        async () => {
          const rows = await wb.treeItems(G);
          const r = rows.find((i) => i.label === `${ns}/${podName}`);
          return r && /util/.test(r.description) ? r : undefined;
        },
        60_000,
      );
      assert.equal(row.description, '4× gpu.nvidia.com · Job dra-train · 94% util');
      assert.ok(exporter.scrapes > 0, 'the exporter was read through the apiserver');
      await wb.screenshot('gpus-dra-util');
      assert.deepEqual(gantryErrors(wb), []);
      timer.lap('dra');
    }));
});
