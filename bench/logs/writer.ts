// The flood: appends `rate` lines per second per file for `seconds`, in CRI format (what kwok serves), each
// line carrying its sequence number and its write time so the readers can check order and latency.
// argv: <phase> <rate> <seconds> <file>...
import { closeSync, openSync, writeSync } from 'node:fs';

const [phase, rateArg, secondsArg, ...files] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const fds = files.map((f) => openSync(f, 'a'));
const total = rate * seconds;
const written = files.map(() => 0);
const start = Date.now();

function tick(): void {
  const now = Date.now();
  const due = Math.min(total, Math.floor(((now - start) / 1000) * rate));
  const ts = new Date(now).toISOString().replace('Z', '000000Z');
  for (let i = 0; i < fds.length; i++) {
    if (written[i]! >= due) continue;
    let out = '';
    for (let n = written[i]!; n < due; n++)
      out += `${ts} stdout F p=${phase} seq=${n} t=${now} loss=0.${n % 1000}\n`;
    writeSync(fds[i]!, out);
    written[i] = due;
  }
  if (written.every((w) => w >= total)) {
    for (const fd of fds) closeSync(fd);
    process.stdout.write(`WROTE ${total} ${Date.now() - start}\n`);
    return;
  }
  setTimeout(tick, 5);
}
tick();
