// A minimal Argo Workflows controller for tests: the workflow-controller does not run on the test cluster, so a
// test says which nodes of a Workflow reached which phase and this writes what the controller would: a pod per
// Pod node (label workflows.argoproj.io/workflow, annotation workflows.argoproj.io/node-name; kwok runs it, and
// fails it when the node failed) and `status.nodes` / `status.phase` on the Workflow (the Argo CRD has no status
// subresource: a merge patch of the object). Pod names follow Argo's v2 naming closely enough to be unique.
import { createHash } from 'node:crypto';
import type { TestCluster } from './index';

export type ArgoPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Skipped' | 'Omitted';

export interface SimulatedNode {
  /** Path after the workflow's name, as Argo names nodes: `.A` (DAG task), `[0].step` (step). */
  path: string;
  /** Argo node type: Pod for a task that runs a container, DAG/Steps for groups. */
  type: 'Pod' | 'DAG' | 'Steps' | 'Skipped';
  phase: ArgoPhase;
  templateName: string;
}

function nodeId(workflow: string, name: string): string {
  return `${workflow}-${createHash('sha256').update(name).digest('hex').slice(0, 10)}`;
}

/** Writes the pods (created once) and the status of a Workflow: its root node plus `nodes`. */
export async function simulateArgoWorkflow(
  cluster: TestCluster,
  namespace: string,
  workflow: string,
  entrypoint: string,
  nodes: SimulatedNode[],
): Promise<void> {
  for (const n of nodes.filter((x) => x.type === 'Pod' && x.phase !== 'Pending')) {
    const name = `${workflow}${n.path}`;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${workflow}-${n.templateName}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`,
        namespace,
        labels: {
          'workflows.argoproj.io/workflow': workflow,
          ...(n.phase === 'Failed' || n.phase === 'Error'
            ? { 'sim.gantry.dev/outcome': 'fail' }
            : n.phase === 'Succeeded'
              ? { 'sim.gantry.dev/outcome': 'succeed' }
              : {}),
        },
        // Running for a while first, so a test can write the pod's log before it ends.
        annotations: { 'workflows.argoproj.io/node-name': name, 'sim.gantry.dev/duration': '20s' },
      },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'main', image: 'busybox:1.36' }],
      },
    };
    const r = await cluster.kubectl(
      ['apply', '--server-side', '--validate=false', '--field-manager=argo-sim', '-f', '-'],
      { input: JSON.stringify(pod) },
    );
    if (r.code !== 0) throw new Error(`creating the pod of ${name} failed: ${r.stderr}`);
  }
  const rootId = nodeId(workflow, workflow);
  const status: Record<string, unknown> = {
    [rootId]: {
      id: rootId,
      name: workflow,
      displayName: workflow,
      type: 'DAG',
      templateName: entrypoint,
      phase: nodes.some((n) => n.phase === 'Failed')
        ? 'Failed'
        : nodes.every((n) => n.phase === 'Succeeded')
          ? 'Succeeded'
          : 'Running',
    },
  };
  for (const n of nodes) {
    const name = `${workflow}${n.path}`;
    const id = nodeId(workflow, name);
    status[id] = {
      id,
      name,
      displayName: n.path.replace(/^.*[.\]]/, ''),
      type: n.type,
      templateName: n.templateName,
      phase: n.phase,
      boundaryID: rootId,
    };
  }
  const phase = (status[rootId] as { phase: string }).phase;
  const patch = { status: { phase, nodes: status } };
  const r = await cluster.kubectl([
    'patch',
    'workflows.argoproj.io',
    workflow,
    '-n',
    namespace,
    '--type=merge',
    '-p',
    JSON.stringify(patch),
  ]);
  if (r.code !== 0) throw new Error(`writing the status of ${workflow} failed: ${r.stderr}`);
}
