// The forward-building half of the port-forward commands, loaded on the first forward as dist/forwards.js (it
// needs the pod trackers and the WebSocket client; activation must not parse them).
import type { Endpoint } from '../core/endpoints';
import type { ConnectionLease } from '../k8s/connections';
import { trackSelectedPods, type PodSelection } from '../k8s/selectorPods';
import { trackPods, type PodsTarget } from '../k8s/workloadPods';
import { ForwardSession } from './portForward';

export type { ForwardSession };

/** Whose pods the forward follows: a workload (through the workload index), a Service's selector, or a pod. */
export type ForwardPods =
  | { readonly type: 'workload'; readonly target: Extract<PodsTarget, { type: 'workload' }> }
  | { readonly type: 'selection'; readonly namespace: string; readonly selection: PodSelection };

export function createForward(o: {
  id: string;
  context: string;
  target: string;
  lease: ConnectionLease;
  pods: ForwardPods;
  endpoint: Endpoint;
  localPort?: number;
  log?: (line: string) => void;
}): ForwardSession {
  const conn = o.lease.connection;
  const pods =
    o.pods.type === 'workload'
      ? trackPods(conn, o.pods.target)
      : trackSelectedPods(conn, o.pods.namespace, o.pods.selection);
  return new ForwardSession({
    id: o.id,
    context: o.context,
    target: o.target,
    lease: o.lease,
    pods,
    endpoint: o.endpoint,
    localPort: o.localPort,
    log: o.log,
  });
}
