/** `ai-gateway tui`: the dashboard of a gateway already running elsewhere, over its management API. */
import { VERSION } from '../../core/version.js';
import type { ClientFlags } from '../program.js';
import { clientFor } from './client-setup.js';
import { preferLiveFrames } from './live-frames.js';

export async function runTui(flags: ClientFlags): Promise<void> {
  const client = clientFor(flags, 'tui');
  preferLiveFrames();
  const { RemoteDashboardSource } = await import('../../tui/remote-source.js');
  const { runDashboard } = await import('../../tui/run.js');
  const source = new RemoteDashboardSource(client);
  try {
    // Fails fast with the one-line hint when nothing is running there.
    await source.start();
    await runDashboard(source, { version: VERSION });
  } finally {
    source.close();
    await client.close();
  }
}
