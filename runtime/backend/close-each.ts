/**
 * Runs close steps in order, each in its own try/catch, so one failure does
 * not skip the rest; failures go to `onError`.
 */
export async function closeEach(steps: ReadonlyArray<() => unknown>, onError: (error: unknown) => void): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      onError(error);
    }
  }
}
