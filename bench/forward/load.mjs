// Load generator: `node load.mjs <base url> <connections> <seconds> <small|big>` keeps <connections> keep-alive
// connections busy with sequential GETs for <seconds> and prints {requests, bytes, errors, seconds} as JSON.
import * as http from 'node:http';

const [base, connArg, secArg, mode] = process.argv.slice(2);
const connections = Number(connArg);
const seconds = Number(secArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const path = mode === 'big' ? '/big' : '/small';
let requests = 0;
let bytes = 0;
let errors = 0;
const started = performance.now();
const deadline = started + seconds * 1000;

function once() {
  return new Promise((resolve) => {
    const req = http.get(`${base}${path}`, { agent, timeout: 10_000 }, (res) => {
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => {
        if (res.statusCode === 200) requests++;
        else errors++;
        resolve();
      });
      res.on('error', () => {
        errors++;
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

async function worker() {
  while (performance.now() < deadline) await once();
}

await Promise.all(Array.from({ length: connections }, worker));
const elapsed = (performance.now() - started) / 1000;
agent.destroy();
console.log(JSON.stringify({ requests, bytes, errors, seconds: elapsed }));
