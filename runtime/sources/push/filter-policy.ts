/**
 * SNS subscription filter policies: each policy key must match (AND), each
 * key's array of conditions matches if any does (OR), and `$or` holds patterns
 * of which one must match. Supported operators:
 * exact strings and numbers, `prefix`, `suffix`, `equals-ignore-case`,
 * `anything-but` (values or `{ prefix }`), `numeric` ranges, `exists`.
 * Written by hand: no maintained npm package implements SNS's policy language.
 */
export function matchesPolicy(policy: Record<string, unknown>, values: Record<string, unknown>): boolean {
  for (const [key, rule] of Object.entries(policy)) {
    // `$or`: one of its patterns must match, at this level.
    if (key === '$or' && Array.isArray(rule)) {
      if (!rule.some((sub) => sub !== null && typeof sub === 'object' && matchesPolicy(sub as Record<string, unknown>, values))) return false;
      continue;
    }
    // Own properties only: a policy key `toString` must not find Object's method in a message.
    const value = Object.hasOwn(values, key) ? values[key] : undefined;
    if (rule !== null && typeof rule === 'object' && !Array.isArray(rule)) {
      // Nested policy (MessageBody scope).
      if (value === null || typeof value !== 'object' || !matchesPolicy(rule as Record<string, unknown>, value as Record<string, unknown>)) return false;
      continue;
    }
    const conditions = Array.isArray(rule) ? rule : [rule];
    const candidates = value === undefined ? [undefined] : Array.isArray(value) ? value : [value];
    if (!conditions.some((c) => candidates.some((v) => matchesCondition(c, v, value !== undefined)))) return false;
  }
  return true;
}

function matchesCondition(condition: unknown, value: unknown, present: boolean): boolean {
  if (condition !== null && typeof condition === 'object') {
    const c = condition as Record<string, unknown>;
    if ('exists' in c) return c.exists === present;
    if (!present) return false;
    if ('prefix' in c) return typeof value === 'string' && value.startsWith(String(c.prefix));
    if ('suffix' in c) return typeof value === 'string' && value.endsWith(String(c.suffix));
    if ('equals-ignore-case' in c) return typeof value === 'string' && value.toLowerCase() === String(c['equals-ignore-case']).toLowerCase();
    if ('anything-but' in c) {
      const but = c['anything-but'];
      if (but !== null && typeof but === 'object' && !Array.isArray(but) && 'prefix' in but) {
        return !(typeof value === 'string' && value.startsWith(String((but as { prefix: unknown }).prefix)));
      }
      return !(Array.isArray(but) ? but : [but]).some((b) => equal(b, value));
    }
    if ('numeric' in c) return numeric(c.numeric, value);
    return false;
  }
  return present && equal(condition, value);
}

// Numbers match only JSON numbers, as in AWS's pattern syntax: "5", true, null and "" are not 5 or 0
// (an SNS attribute of type Number or Number.x reaches here as a number).
function equal(a: unknown, b: unknown): boolean {
  return a === b;
}

function numeric(ops: unknown, value: unknown): boolean {
  if (!Array.isArray(ops) || typeof value !== 'number' || Number.isNaN(value)) return false;
  const n = value;
  for (let i = 0; i + 1 < ops.length; i += 2) {
    const bound = Number(ops[i + 1]);
    switch (ops[i]) {
      case '=': if (!(n === bound)) return false; break;
      case '<': if (!(n < bound)) return false; break;
      case '<=': if (!(n <= bound)) return false; break;
      case '>': if (!(n > bound)) return false; break;
      case '>=': if (!(n >= bound)) return false; break;
      default: return false;
    }
  }
  return true;
}
