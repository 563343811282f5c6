// The sidebar's tree models: node types and ids (nodes.ts), the ML Workloads tree (workloadTree.ts) and the
// GPUs tree (gpuTree.ts). Code outside core/ imports this folder (`core/tree`), not the files.
export * from './nodes';
export * from './workloadTree';
export * from './gpuTree';
export * from './insightRow';
