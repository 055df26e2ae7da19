// Headless Chromium for the browser tests: Debian's `chromium` driven by playwright-core, each run in
// a fresh profile that is removed afterwards.
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';
import { tempDir } from './tmp.js';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export interface Browser {
  context: BrowserContext;
  /** A scratch directory for downloads and screenshots. */
  dir: string;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = tempDir('koji-es-chromium-');
  const scratch = tempDir('koji-es-browser-');
  const context = await chromium.launchPersistentContext(profile.dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
    downloadsPath: scratch.dir,
    timeout: 60_000,
  });
  return {
    context,
    dir: scratch.dir,
    close: async () => {
      await context.close();
      profile.cleanup();
      scratch.cleanup();
    },
  };
}
