// Diagnostic codes (docs/rules.md). A module of its own so the engine's files can import them without
// importing api.ts, which re-exports the validator.

/** Diagnostic codes of the ML rules (docs/rules.md). Schema and syntax diagnostics carry no `GANTRY1nn` code. */
export const GantryCode = {
  fractionalGpu: 'GANTRY101',
  gpuLimitMismatch: 'GANTRY102',
  gpuExceedsNode: 'GANTRY103',
  gpuNoMatchingNode: 'GANTRY104',
  invalidReplicaRoles: 'GANTRY105',
  unknownLocalQueue: 'GANTRY106',
  argoUndefinedReference: 'GANTRY107',
  kfpUndefinedReference: 'GANTRY108',
  invalidRestartPolicy: 'GANTRY109',
  gpuTaintNotTolerated: 'GANTRY110',
  unpinnedImage: 'GANTRY111',
  nprocMismatch: 'GANTRY112',
  noSharedMemory: 'GANTRY113',
} as const;
export type GantryCode = (typeof GantryCode)[keyof typeof GantryCode];

/** Codes of the schema / syntax diagnostics (source 'gantry' too). */
export const SchemaCode = {
  syntax: 'yaml-syntax',
  duplicateKey: 'duplicate-key',
  unknownField: 'unknown-field',
  missingField: 'missing-field',
  wrongType: 'wrong-type',
  badEnum: 'bad-enum',
  badFormat: 'bad-format',
  unknownKind: 'unknown-kind',
} as const;
export type SchemaCode = (typeof SchemaCode)[keyof typeof SchemaCode];
