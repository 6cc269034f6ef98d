/** One way every launcher stops what it started: last started, first stopped, every step tried. */
export class Teardown {
  private readonly steps: Array<() => unknown> = [];
  private running: Promise<void> | undefined;

  /** Registers a step, run in reverse order of registration. */
  add(step: () => unknown): void {
    this.steps.push(step);
  }

  /** Runs every step once, in reverse order; a failing step does not stop the others (its error is rethrown after). */
  run(): Promise<void> {
    this.running ??= (async () => {
      const errors: unknown[] = [];
      for (const step of this.steps.reverse()) {
        try {
          await step();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw errors[0];
    })();
    return this.running;
  }

  /** Runs `start`; if it throws, tears down what was started so far and rethrows. */
  async guard<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (error) {
      await this.run().catch(() => undefined);
      throw error;
    }
  }
}
