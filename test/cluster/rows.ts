// The ML Workloads rows of a model as the view shows them, for cluster tests that check exact row texts.
import assert from 'node:assert/strict';
import { ROOT, type WorkloadNode } from '../../src/core/tree';
import type { ClusterModel } from '../../src/model/clusterModel';
import { waitFor } from './helpers';

/** Every workload row of the model, by name. */
export function workloadRows(model: ClusterModel): Map<string, WorkloadNode> {
  const out = new Map<string, WorkloadNode>();
  const walk = (id: string): void => {
    for (const n of model.workloads!.children(id)) {
      if (n.type === 'workload') out.set(n.label, n);
      if (n.type === 'group' || n.type === 'workload') walk(n.id);
    }
  };
  walk(ROOT);
  return out;
}

/** The row's description without its trailing age ("3m", "12s"), which is checked for its shape only. */
export function rowText(n: WorkloadNode): string {
  const parts = n.description!.split(' · ');
  const age = parts.pop()!;
  assert.match(age, /^\d+(s|m)$/, `age of ${n.description}`);
  return parts.join(' · ');
}

/** Waits until the named row reads exactly `want` (without the age); fails with the last text seen. */
export async function waitForRow(
  model: ClusterModel,
  name: string,
  want: string,
  timeoutMs: number,
): Promise<WorkloadNode> {
  let seen = '(no row)';
  try {
    return await waitFor(
      `${name}: "${want}"`,
      async () => {
        const n = workloadRows(model).get(name);
        if (!n) return undefined;
        seen = rowText(n);
        return seen === want ? n : undefined;
      },
      timeoutMs,
      250,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last row text: "${seen}"`);
  }
}
