/** Sleeps for `ms`, or less when the signal aborts first; never rejects. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

// A function, not a property read: TypeScript would otherwise keep `aborted` narrowed to false
// across the awaits during which it can change.
export function stopped(signal: AbortSignal): boolean {
  return signal.aborted;
}
