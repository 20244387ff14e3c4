/**
 * An integer with commas between groups of three digits, exactly as toLocaleString('en-US')
 * writes it, without the time the first toLocaleString call spends loading ICU's locale
 * data (a start-up cost every training run would pay for its headline). Anything that is
 * not a safe integer goes to toLocaleString.
 */
export function thousands(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 || Object.is(n, -0) ? `-${out}` : out;
}
