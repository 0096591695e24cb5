/**
 * Lets a loop sleep until woken or until a timeout. A wake-up that arrives while
 * the loop is busy is remembered, so the next wait returns at once and no
 * notification is lost between two reads.
 */
export class WakeSignal {
  private pending = false;
  private resolve?: () => void;

  /** Wakes the current or the next waiter. */
  wake(): void {
    const resolve = this.resolve;
    if (resolve) {
      this.resolve = undefined;
      resolve();
    } else {
      this.pending = true;
    }
  }

  /** Resolves on the next wake-up or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.resolve = undefined;
        resolve();
      }, ms);
      this.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
