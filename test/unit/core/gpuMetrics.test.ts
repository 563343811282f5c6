import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  GPU_METRIC_NAMES,
  IdleTracker,
  gpuReadings,
  idleText,
  parsePrometheusText,
  pickExporterService,
  usageByPod,
} from '../../../src/core/gpuMetrics';
import { type KubeObject } from '../../../src/core/kube';

const fixture = (f: string) => readFileSync(join(import.meta.dirname, '../../fixtures/dcgm', f), 'utf8');

describe('Prometheus text from dcgm-exporter', () => {
  it('reads the real H100 scrape: 8 GPUs with utilisation, power, model and host', () => {
    const samples = parsePrometheusText(fixture('h100-eks.prom'), GPU_METRIC_NAMES);
    assert.equal(samples.length, 16);
    const r = gpuReadings(samples);
    assert.equal(r.length, 8);
    const g3 = r.find((x) => x.gpu === '3')!;
    assert.deepEqual(g3, {
      host: 'ip-100-64-171-120.ec2.internal',
      gpu: '3',
      uuid: 'GPU-3cc59718-d7df-49ac-07a3-a6cedfe263c6',
      model: 'NVIDIA H100 80GB HBM3',
      powerW: 69.771,
      util: 0,
    });
    // Without the exporter's pod mapping nothing is attributed to a pod.
    assert.equal(usageByPod(r).size, 0);
  });

  it("maps GPUs to pods by the exporter's pod labels, and sums memory and power", () => {
    const r = gpuReadings(parsePrometheusText(fixture('h100-pods.prom')));
    const u = usageByPod(r);
    assert.deepEqual([...u.keys()], ['ml/llama-trainer-0']);
    const p = u.get('ml/llama-trainer-0')!;
    assert.equal(p.gpus.length, 2);
    assert.equal(p.util, 94);
    assert.equal(p.memUsedMiB, 71232 + 70144);
    assert.ok(Math.abs(p.powerW - (612.4 + 598.1)) < 1e-9);
  });

  it('maps by UUID when the exporter has no pod labels (DRA devices name their UUID)', () => {
    const r = gpuReadings(parsePrometheusText(fixture('h100-eks.prom')));
    const u = usageByPod(r, (uuid) =>
      uuid === 'GPU-22dbdd79-f55a-92a8-aa39-322198e72ed6' ? { namespace: 'ml', name: 'dra-pod' } : undefined,
    );
    assert.deepEqual([...u.keys()], ['ml/dra-pod']);
    assert.equal(u.get('ml/dra-pod')!.gpus[0]!.gpu, '0');
  });

  it('skips comments, malformed lines and NaN; unescapes label values', () => {
    const s = parsePrometheusText(
      [
        '# HELP x y',
        'garbage line',
        'DCGM_FI_DEV_GPU_UTIL{gpu="0",modelName="A \\"quoted\\" name"} 12 1700000000000',
        'DCGM_FI_DEV_GPU_UTIL{gpu="1"} NaN',
      ].join('\n'),
    );
    assert.deepEqual(s, [
      { name: 'DCGM_FI_DEV_GPU_UTIL', labels: { gpu: '0', modelName: 'A "quoted" name' }, value: 12 },
    ]);
  });

  it('finds the exporter Service by its usual labels and its metrics port', () => {
    const svc = (name: string, labels: Record<string, string>, ports: unknown[]): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'gpu-operator', labels },
      spec: { ports },
    });
    assert.deepEqual(
      pickExporterService([
        svc('other', { app: 'web' }, [{ port: 80 }]),
        svc('nvidia-dcgm-exporter', { app: 'nvidia-dcgm-exporter' }, [{ name: 'gpu-metrics', port: 9400 }]),
      ]),
      { namespace: 'gpu-operator', name: 'nvidia-dcgm-exporter', port: 'gpu-metrics' },
    );
    assert.equal(pickExporterService([svc('other', { app: 'web' }, [{ port: 80 }])]), undefined);
    // AMD's helm chart: app=<release>-amdgpu-metrics-exporter, port named http.
    assert.deepEqual(
      pickExporterService([
        svc('exporter-amd-metrics-exporter-svc', { app: 'exporter-amdgpu-metrics-exporter' }, [
          { name: 'http', port: 5000 },
        ]),
      ]),
      { namespace: 'gpu-operator', name: 'exporter-amd-metrics-exporter-svc', port: 'http' },
    );
    assert.equal(
      pickExporterService([svc('x', { app: 'not-amdgpu-metrics-exporterx' }, [{ port: 1 }])]),
      undefined,
    );
  });

  it("reads AMD device-metrics-exporter's lower-case metrics and labels (docs/configuration/metricslist.md)", () => {
    const labels =
      'card_model="AMD Instinct MI300X OAM",gpu_compute_partition_type="spx",gpu_id="3",gpu_partition_id="0",hostname="mi300x-node-0",serial_number="692251001124",pod="rocm-train-0",namespace="ml",container="main"';
    const r = gpuReadings(
      parsePrometheusText(
        `gpu_gfx_activity{${labels}} 87\ngpu_used_vram{${labels}} 150000\ngpu_package_power{${labels}} 640\n`,
        GPU_METRIC_NAMES,
      ),
    );
    assert.deepEqual(r, [
      {
        host: 'mi300x-node-0',
        gpu: '3',
        model: 'AMD Instinct MI300X OAM',
        pod: { namespace: 'ml', name: 'rocm-train-0', container: 'main' },
        util: 87,
        memUsedMiB: 150000,
        powerW: 640,
      },
    ]);
  });
});

describe('IdleTracker', () => {
  const MIN = 60_000;
  const opts = { thresholdPct: 10, periodMs: 30 * MIN };

  it('marks a workload idle only after every reading stayed under the threshold for the period', () => {
    const t = new IdleTracker(opts);
    const t0 = 1_000_000;
    for (let m = 0; m <= 29; m++) t.record(t0 + m * MIN, new Map([['w', [3, 5]]]));
    assert.equal(t.idleSince('w', t0 + 29 * MIN), undefined);
    t.record(t0 + 30 * MIN, new Map([['w', [3, 5]]]));
    assert.equal(t.idleSince('w', t0 + 30 * MIN), t0);
    assert.deepEqual(t.idleKeys(t0 + 30 * MIN), ['w']);
    assert.equal(idleText(t0, t0 + 95 * MIN), 'idle 1h 35m');
  });

  it('one busy GPU or one busy reading resets the clock', () => {
    const t = new IdleTracker(opts);
    const t0 = 0;
    t.record(t0, new Map([['w', [2, 2]]]));
    t.record(t0 + 20 * MIN, new Map([['w', [2, 40]]])); // one of its GPUs busy
    t.record(t0 + 40 * MIN, new Map([['w', [2, 2]]]));
    assert.equal(t.idleSince('w', t0 + 40 * MIN), undefined);
    t.record(t0 + 70 * MIN, new Map([['w', [2, 2]]]));
    assert.equal(t.idleSince('w', t0 + 70 * MIN), t0 + 40 * MIN);
  });

  it('a gap longer than the period (polling paused) starts a new low run', () => {
    const t = new IdleTracker(opts);
    t.record(0, new Map([['w', [1]]]));
    t.record(45 * MIN, new Map([['w', [1]]]));
    assert.equal(t.idleSince('w', 45 * MIN), undefined);
    t.record(75 * MIN, new Map([['w', [1]]]));
    assert.equal(t.idleSince('w', 75 * MIN), 45 * MIN);
  });

  it('the threshold is a setting: 50% makes a 30% workload idle', () => {
    const t = new IdleTracker({ thresholdPct: 50, periodMs: 10 * MIN });
    t.record(0, new Map([['w', [30]]]));
    t.record(10 * MIN, new Map([['w', [30]]]));
    assert.equal(t.idleSince('w', 10 * MIN), 0);
  });
});
