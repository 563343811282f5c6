// Which containers of a pod a log stream follows, and what state one of them is in. Pure: reads pod JSON.
import type { KubeObject } from './kube';

/** Container names the operators give their main container (Kubeflow training, KubeRay, KServe, Trainer). */
const OPERATOR_MAIN = [
  'pytorch',
  'tensorflow',
  'xgboost',
  'jax',
  'paddle',
  'mpi',
  'ray-head',
  'ray-worker',
  'kserve-container',
  'node',
  'trainer',
];
const DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';

interface ContainerSpec {
  name: string;
}

function names(list: unknown): string[] {
  return Array.isArray(list) ? (list as ContainerSpec[]).map((c) => c?.name).filter((n) => !!n) : [];
}

/**
 * The container a person means by "the logs of this pod": kubectl's default-container annotation, else the
 * one the operator names (`pytorch`, `ray-head`, `kserve-container`, the notebook's own), else the first.
 */
export function mainContainer(pod: KubeObject): string | undefined {
  const all = names(pod.spec?.containers);
  const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER];
  if (annotated && all.includes(annotated)) return annotated;
  const nb = pod.metadata.labels?.['notebook-name'];
  if (nb && all.includes(nb)) return nb;
  for (const n of OPERATOR_MAIN) if (all.includes(n)) return n;
  return all[0];
}

export interface ContainerChoice {
  /** All regular containers, not only the main one. */
  readonly allContainers?: boolean;
  /** Init containers too (before the regular ones). */
  readonly initContainers?: boolean;
}

export interface ContainerTarget {
  readonly name: string;
  readonly init: boolean;
}

/** The containers to follow in `pod`, in start order. */
export function containersToFollow(pod: KubeObject, choice: ContainerChoice = {}): ContainerTarget[] {
  const out: ContainerTarget[] = [];
  if (choice.initContainers)
    for (const n of names(pod.spec?.initContainers)) out.push({ name: n, init: true });
  if (choice.allContainers) for (const n of names(pod.spec?.containers)) out.push({ name: n, init: false });
  else {
    const m = mainContainer(pod);
    if (m) out.push({ name: m, init: false });
  }
  return out;
}

export type ContainerPhase =
  | { readonly kind: 'missing' }
  /** Not started yet (pod Pending, image pulling, CrashLoopBackOff between restarts). */
  | { readonly kind: 'waiting'; readonly reason: string; readonly restarts: number }
  | { readonly kind: 'running'; readonly restarts: number }
  | {
      readonly kind: 'terminated';
      readonly reason?: string;
      readonly exitCode?: number;
      readonly restarts: number;
      /** It will not run again (restart policy, pod phase or deletion say so). */
      readonly final: boolean;
    };

/** The state of one container, from the pod's status (and spec, for the restart policy). */
export function containerPhase(pod: KubeObject, container: string, init = false): ContainerPhase {
  const statuses = (init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses) as
    | {
        name: string;
        restartCount?: number;
        state?: {
          waiting?: { reason?: string };
          running?: unknown;
          terminated?: { reason?: string; exitCode?: number };
        };
      }[]
    | undefined;
  const declared = names(init ? pod.spec?.initContainers : pod.spec?.containers).includes(container);
  const st = statuses?.find((s) => s.name === container);
  const phase = pod.status?.phase as string | undefined;
  if (!st) {
    if (!declared) return { kind: 'missing' };
    return { kind: 'waiting', reason: phase === 'Pending' || !phase ? 'Pending' : phase, restarts: 0 };
  }
  const restarts = st.restartCount ?? 0;
  if (st.state?.running) return { kind: 'running', restarts };
  const t = st.state?.terminated;
  if (t) {
    const policy = (pod.spec?.restartPolicy as string | undefined) ?? 'Always';
    const final =
      phase === 'Succeeded' ||
      phase === 'Failed' ||
      !!pod.metadata.deletionTimestamp ||
      policy === 'Never' ||
      (policy === 'OnFailure' && t.exitCode === 0) ||
      // An init container that finished is done.
      (init && t.exitCode === 0);
    return { kind: 'terminated', reason: t.reason, exitCode: t.exitCode, restarts, final };
  }
  return { kind: 'waiting', reason: st.state?.waiting?.reason ?? 'Waiting', restarts };
}
