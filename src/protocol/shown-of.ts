/** "N of M <things> shown" for a list an answer was cut to (see answer-room.ts); nothing for a whole one. Said by the CLI and the visualiser alike. */
export function shownOf(listed: number, total: number, things: string): string {
  return listed < total ? `${listed} of ${total} ${things} shown` : '';
}
