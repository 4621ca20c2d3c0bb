// Takes the README's screenshot (docs/web-page.png) of the page in realistic use: several
// uploads of generated plays (succeeded, one running, one that failed on a bad row), messages
// of a few types, a dead letter, the System panel, and a result open on a song's chart.
//   pnpm build && npx tsx --tsconfig tsconfig.sources.json scripts/readme-screenshot.ts
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { generatePlays } from '../packages/core/src/cli/play-generator.js';
import { launchChromium } from '../packages/http/test/browser/chromium.js';
import { startLiveSystem } from '../packages/http/test/browser/live-system.js';

const OUTPUT = fileURLToPath(new URL('../docs/web-page.png', import.meta.url));

async function text(chunks: Iterable<Buffer>): Promise<string> {
  return Buffer.concat([...chunks]).toString('utf8');
}

const system = await startLiveSystem();
const submit = async (filename: string, csv: string) => {
  const response = await fetch(
    `${system.origin}/v1/jobs?filename=${encodeURIComponent(filename)}`,
    {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    },
  );
  return ((await response.json()) as { id: string }).id;
};
const post = (type: string, data: unknown) =>
  fetch(`${system.origin}/v1/messages?type=${encodeURIComponent(type)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify(data),
  });

try {
  await submit(
    'plays-2024-q1.csv',
    await text(generatePlays({ rows: 40_000, songs: 120, days: 90, seed: 3 })),
  );
  await submit(
    'radio-berlin-march.csv',
    await text(generatePlays({ rows: 12_000, songs: 60, days: 31, seed: 5 })),
  );
  await submit(
    'store-export-april.csv',
    'Song,Date,Number of Plays\nUmbrella,2024-04-01,12\nUmbrella,2024-04-31,3\n',
  );
  await submit(
    'festival-weekend.csv',
    await text(generatePlays({ rows: 3_000, songs: 25, days: 3, seed: 7 })),
  );
  await post('playlist.updated', { playlist: 'Morning Run', tracks: 24 });
  await post('order.created', { order: 'A-1042', amount: 19.9, currency: 'EUR' });
  system.refuseMessages(true);
  await post('order.created', { order: 'A-1043', amount: -5, refuse: true });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  system.refuseMessages(false);
  await post('listener.signed-up', { listener: 'maria', plan: 'family' });

  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(system.origin);
  const row = page.getByRole('row').filter({ hasText: 'plays-2024-q1.csv' });
  await row.getByText('succeeded').waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: OUTPUT, fullPage: true });
  await browser.close();
  console.log(`wrote ${OUTPUT}`);
} finally {
  await system.stop();
}
