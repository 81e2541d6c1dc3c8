/**
 * The message of anything thrown. `instanceof Error` is not enough: errors made in another realm
 * (Node's own, seen from a vm context such as jest's) fail it and would print as "[object Object]".
 */
export function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') return (err as { message: string }).message;
  return String(err);
}
