/** Readiness checks of the dependencies a process uses; /readyz runs them all. */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

export class HealthRegistry {
  private readonly checks: HealthCheck[] = [];

  add(check: HealthCheck): void {
    this.checks.push(check);
  }

  /** Every check with its outcome; a check that takes longer than timeoutMs fails. */
  async run(timeoutMs = 2_000): Promise<{ ready: boolean; checks: Record<string, 'ok' | string> }> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            c.check(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          return [c.name, 'ok'] as const;
        } catch (e) {
          return [c.name, e instanceof Error ? e.message : String(e)] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return { ready: results.every(([, r]) => r === 'ok'), checks: Object.fromEntries(results) };
  }
}
