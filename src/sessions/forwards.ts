// Starts port-forward sessions: the half of the port-forward commands that needs the pod trackers and the
// tunnel clients, so it lives in the lazily loaded services bundle (as the log backend does); the commands
// stay in the activation bundle and import this as a type.
import type { Endpoint } from '../core/endpoints';
import type { ConnectionLease } from '../k8s/connections';
import { trackSelectedPods, type PodSelection } from '../k8s/selectorPods';
import { trackPods, type PodsTarget } from '../k8s/workloadPods';
import type { SessionManager } from './manager';
import { ForwardSession } from './portForward';

export type { ForwardSession };

/** Whose pods the forward follows: a workload (through the workload index), a Service's selector, or a pod. */
export type ForwardPods =
  | { readonly type: 'workload'; readonly target: Extract<PodsTarget, { type: 'workload' }> }
  | { readonly type: 'selection'; readonly namespace: string; readonly selection: PodSelection };

export interface ForwardRequest {
  context: string;
  target: string;
  lease: ConnectionLease;
  pods: ForwardPods;
  endpoint: Endpoint;
  localPort?: number;
  log?: (line: string) => void;
}

export class ForwardsBackend {
  constructor(private readonly _sessions: SessionManager) {}

  /** A new forward (not started, not yet listed: the caller lists it once it listens); it owns `o.lease`. */
  create(o: ForwardRequest): ForwardSession {
    return createForward({ ...o, id: this._sessions.nextId('forward') });
  }
}

export function createForward(o: ForwardRequest & { id: string }): ForwardSession {
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
