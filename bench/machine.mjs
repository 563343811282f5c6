// One line describing the machine a figure was measured on: cores, load averages, memory, node version.
// Every bench prints it next to its figures (a ratio measured at load 9 on 2 cores is not one measured idle).
import * as os from 'node:os';

export function machine() {
  const [l1, l5, l15] = os.loadavg().map((l) => l.toFixed(2));
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return (
    `machine: ${os.availableParallelism()} cores (${cpu}), load ${l1} ${l5} ${l15} (1/5/15 min), ` +
    `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}, ${os.platform()} ${os.release()}`
  );
}
