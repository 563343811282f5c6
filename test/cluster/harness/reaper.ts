// Stops a cluster when the process that owns it dies without tearing it down (killed runner, Ctrl-C on a
// `timeout`, crashed test process), so no etcd/apiserver/kwok is left behind. Runs detached:
//   node --import tsx test/cluster/harness/reaper.ts <state.json> <owner pid>
import { existsSync } from 'node:fs';
import { readState, stopClusterState } from './cluster';
import { isAlive } from './procs';

async function main(): Promise<void> {
  const [file, owner] = process.argv.slice(2);
  const ownerPid = Number(owner);
  if (!file || !ownerPid) process.exit(2);
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    if (!existsSync(file)) return; // torn down normally
    if (!isAlive(ownerPid)) {
      console.error(`owner ${ownerPid} is gone: stopping the cluster in ${file}`);
      await stopClusterState(readState(file));
      return;
    }
  }
}

void main();
