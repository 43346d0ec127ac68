export function findBinary(name: string): string | undefined;
