import type * as vscode from 'vscode';
import * as vs from 'vscode';
import type { WorkloadTreeNode } from '../core/tree';
import { phaseIcon } from './icons';
import { ModelTreeProvider } from './treeProvider';

export function decorateWorkloadNode(node: WorkloadTreeNode, item: vscode.TreeItem): void {
  switch (node.type) {
    case 'group':
      item.iconPath = new vs.ThemeIcon(node.groupBy === 'kind' ? 'symbol-class' : 'symbol-namespace');
      break;
    case 'workload':
      item.iconPath = phaseIcon(node.summary.phase);
      break;
    case 'role':
      item.iconPath = new vs.ThemeIcon('organization');
      break;
    case 'pod':
      item.iconPath = phaseIcon(node.summary.phase);
      break;
    case 'loading':
      item.iconPath = new vs.ThemeIcon('loading~spin');
      break;
  }
}

export function createWorkloadsProvider(): ModelTreeProvider<WorkloadTreeNode> {
  return new ModelTreeProvider<WorkloadTreeNode>(decorateWorkloadNode);
}
