/**
 * "Did you mean": the known name closest to a misspelled one.
 *
 * The distance is an edit distance in which a character the input lacks costs
 * less than a wrong or extra one, so a name typed without its parent
 * (`WORKERS__COUNT` for `CLUSTER__WORKERS__COUNT`) still finds its setting.
 */

const MISSING = 0.4;

/** Edit distance from `typed` to `known`, missing characters weighted `MISSING`. */
export function nameDistance(typed: string, known: string): number {
  const a = typed.toLowerCase();
  const b = known.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j * MISSING);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(substitute, (prev[j] as number) + 1, (row[j - 1] as number) + MISSING));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/** The known name closest to `typed` (the first on a tie), or undefined when there are none. */
export function closest(typed: string, known: Iterable<string>): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = nameDistance(typed, name);
    if (!best || d < best.d) best = { name, d };
  }
  return best?.name;
}

/**
 * The closest known name if it is plausibly what was meant: at most 2 edits,
 * or a third of the name. Names of three characters or fewer get none (`v4`
 * is as near to `v1` as to `v2`).
 */
export function nearMiss(typed: string, known: Iterable<string>): string | undefined {
  const name = closest(typed, known);
  if (name === undefined || typed.length <= 3) return undefined;
  return nameDistance(typed, name) <= Math.max(2, typed.length / 3) ? name : undefined;
}
