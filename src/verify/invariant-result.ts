/** An invariant's verdict: held, or broken with the first few counterexamples. */
export interface InvariantResult { name: string; held: boolean; counterexample?: string }

export function result(name: string, problems: string[]): InvariantResult {
  return problems.length === 0 ? { name, held: true } : { name, held: false, counterexample: problems.slice(0, 5).join('; ') + (problems.length > 5 ? ` (+${problems.length - 5} more)` : '') };
}
