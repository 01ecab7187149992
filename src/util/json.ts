// JSON text for values that may hold BigInt (exact int64 run data, metadata times).

/** JSON text with BigInt values written as exact decimal strings. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v), indent);
}
