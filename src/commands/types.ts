// The shape of a command table; each area's file exports one, index.ts joins them.
export type Handler = (...args: unknown[]) => unknown;
export type CommandTable = Record<string, Handler>;
