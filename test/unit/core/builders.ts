// Builders for API objects shaped as the API server, the kubelet, the scheduler and the operators write them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type KubeObject, type OwnerReference } from '../../../src/core/kube';

export const NOW = Date.parse('2026-11-29T12:00:00Z');
export const T0 = '2026-11-29T11:00:00Z'; // one hour before NOW

export function cond(
  type: string,
  status: 'True' | 'False' | 'Unknown',
  reason?: string,
  message?: string,
  at = T0,
) {
  const c: Record<string, string> = { type, status, lastTransitionTime: at };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

export function obj(
  apiVersion: string,
  kind: string,
  name: string,
  spec: unknown = {},
  status?: unknown,
  meta: Partial<KubeObject['metadata']> = {},
): KubeObject {
  const o: KubeObject = {
    apiVersion,
    kind,
    metadata: { name, namespace: 'ml', uid: `uid-${kind}-${name}`, creationTimestamp: T0, ...meta },
    spec,
  };
  if (status !== undefined) o.status = status;
  return o;
}

export function owner(o: KubeObject): OwnerReference {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    uid: o.metadata.uid!,
    controller: true,
  };
}

export interface PodOpts {
  ns?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  node?: string;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready?: boolean;
  gpus?: number;
  gpuResource?: string;
  owners?: OwnerReference[];
  containerStatuses?: unknown[];
  conditions?: unknown[];
  deleting?: boolean;
  spec?: Record<string, unknown>;
  uid?: string;
}

export function pod(name: string, o: PodOpts = {}): KubeObject {
  const phase = o.phase ?? 'Running';
  const ready = o.ready ?? phase === 'Running';
  const res = o.gpus ? { limits: { [o.gpuResource ?? 'nvidia.com/gpu']: String(o.gpus) } } : {};
  const p: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.ns ?? 'ml',
      uid: o.uid ?? `uid-pod-${name}`,
      creationTimestamp: T0,
      labels: o.labels ?? {},
      annotations: o.annotations,
      ownerReferences: o.owners,
    },
    spec: {
      containers: [{ name: 'main', image: 'trainer:1', resources: res }],
      ...(o.node ? { nodeName: o.node } : {}),
      ...o.spec,
    },
    status: {
      phase,
      conditions: o.conditions ?? [
        cond('PodScheduled', o.node ? 'True' : 'False'),
        cond('Ready', ready ? 'True' : 'False'),
      ],
      containerStatuses: o.containerStatuses ?? [
        {
          name: 'main',
          ready,
          restartCount: 0,
          started: phase === 'Running',
          state:
            phase === 'Running'
              ? { running: { startedAt: T0 } }
              : phase === 'Succeeded'
                ? { terminated: { exitCode: 0, reason: 'Completed' } }
                : phase === 'Failed'
                  ? { terminated: { exitCode: 1, reason: 'Error' } }
                  : { waiting: { reason: 'ContainerCreating' } },
        },
      ],
    },
  };
  if (o.deleting) p.metadata.deletionTimestamp = '2026-11-29T11:59:00Z';
  return p;
}

/** Real scheduler wording (kube-scheduler 1.30 FitError + preemption PostFilter). */
export const SCHED_MSG =
  '0/7 nodes are available: 2 Insufficient nvidia.com/gpu, 5 node(s) had untolerated taint {nvidia.com/gpu: present}. preemption: 0/7 nodes are available: 2 No preemption victims found for incoming pod, 5 Preemption is not helpful for scheduling.';

export function unschedulablePod(name: string, o: PodOpts = {}): KubeObject {
  return pod(name, {
    ...o,
    phase: 'Pending',
    conditions: [cond('PodScheduled', 'False', 'Unschedulable', SCHED_MSG)],
    containerStatuses: [],
  });
}

export function event(
  involved: KubeObject,
  reason: string,
  message: string,
  type: 'Warning' | 'Normal' = 'Warning',
  at = '2026-11-29T11:58:00Z',
  count = 1,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${involved.metadata.name}.${reason}`, namespace: involved.metadata.namespace },
    involvedObject: {
      kind: involved.kind,
      name: involved.metadata.name,
      namespace: involved.metadata.namespace,
      uid: involved.metadata.uid,
    },
    reason,
    message,
    type,
    count,
    firstTimestamp: at,
    lastTimestamp: at,
  } as unknown as KubeObject;
}

/** The node fixtures in test/fixtures/nodes, with the Ready condition kwok would add. */
export function fixtureNodes(): KubeObject[] {
  const dir = join(import.meta.dirname, '../../fixtures/nodes');
  const out: KubeObject[] = [];
  for (const f of ['h100.yaml', 'a100.yaml', 'mi300x.yaml', 'cpu.yaml']) {
    for (const d of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
      const n = d.toJS() as KubeObject | null;
      if (!n) continue;
      n.status = {
        ...n.status,
        conditions: [cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')],
      };
      out.push(n);
    }
  }
  return out;
}
