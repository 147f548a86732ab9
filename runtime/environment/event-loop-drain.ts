/**
 * Lambda's Node.js runtime ends some invocations when the event loop has
 * nothing left to run (its 'beforeExit' listener): a callback-style answer
 * that waits for an empty loop, and a handler that never answered. This
 * thread's own keep-alive timer would hide that moment, so while a handler
 * runs it stops counting (`open`), and only the handler's own work (timers,
 * sockets, host calls in flight) keeps the loop going.
 */

/** Holds the thread's event loop open between invocations and through init. */
const keepAlive = setInterval(() => undefined, 2 ** 31 - 1);
const waiting = new Set<() => void>();

process.on('beforeExit', () => {
  // Whatever runs next (an answer, the next request) has the loop held again.
  keepAlive.ref();
  const due = [...waiting];
  waiting.clear();
  for (const run of due) run();
});

/** A handler starts: from now the loop ends when its own work does. */
export function openDrain(): void {
  keepAlive.unref();
}

/** The invocation answered: hold the loop again and forget what waited on it. */
export function closeDrain(): void {
  keepAlive.ref();
  waiting.clear();
}

/** Runs `run` once the event loop is empty (unless cancelled first). */
export function onDrain(run: () => void): void {
  waiting.add(run);
}

export function cancelDrain(run: () => void): void {
  waiting.delete(run);
}
