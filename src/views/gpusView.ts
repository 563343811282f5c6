import type * as vscode from 'vscode';
import * as vs from 'vscode';
import type { GpuTreeNode } from '../core/tree';
import { phaseIcon } from './icons';
import { ModelTreeProvider } from './treeProvider';

export function decorateGpuNode(node: GpuTreeNode, item: vscode.TreeItem): void {
  switch (node.type) {
    case 'gpuModel':
      item.iconPath = new vs.ThemeIcon('circuit-board');
      break;
    case 'gpuNode':
      item.iconPath =
        node.node.state === 'Ready'
          ? new vs.ThemeIcon('server', new vs.ThemeColor('charts.green'))
          : new vs.ThemeIcon(
              'server',
              new vs.ThemeColor(node.node.state === 'NotReady' ? 'charts.red' : 'charts.yellow'),
            );
      break;
    case 'gpuPod':
      item.iconPath = phaseIcon('Running');
      break;
    case 'gpuIdle':
      item.iconPath = new vs.ThemeIcon('watch', new vs.ThemeColor('charts.yellow'));
      break;
  }
}

export function createGpusProvider(): ModelTreeProvider<GpuTreeNode> {
  return new ModelTreeProvider<GpuTreeNode>(decorateGpuNode);
}
