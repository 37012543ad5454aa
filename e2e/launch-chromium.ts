// Debian's Chromium (scripts/e2e/install-chromium.sh), driven by playwright-core, with a fresh profile each
// launch: no cache, no storage, no service worker from an earlier run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export interface LaunchChromiumOptions {
  /** Default /usr/bin/chromium: Debian's package, never a browser downloaded by a test tool. */
  readonly executablePath?: string;
  readonly viewport?: { readonly width: number; readonly height: number };
}

export interface LaunchedChromium {
  readonly context: BrowserContext;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

// No sandbox: the tests run as root in CI. No GPU: WebGL falls back to SwiftShader (the viewer renders on
// the CPU, slowly but correctly). The rest keeps the browser from talking to anything but the page's servers.
export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<LaunchedChromium> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'pacs-e2e-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: options.executablePath ?? '/usr/bin/chromium',
      headless: true,
      args: [...chromiumFlags],
      viewport: options.viewport ?? { width: 1600, height: 1000 },
    });
    return {
      context,
      close: async () => {
        await context.close();
        await rm(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
