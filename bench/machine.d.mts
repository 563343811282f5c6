// Types of machine.mjs for the TypeScript benches.
export function machine(): string;
