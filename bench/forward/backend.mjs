// The "container" behind the benchmark pod: a keep-alive HTTP server on a loopback port (printed on stdout).
// GET /small answers 100 bytes; GET /big answers 1 MiB. Runs in its own process so it never competes with the
// forward under test for an event loop.
import * as http from 'node:http';

const small = Buffer.alloc(100, 'x');
const big = Buffer.alloc(1024 * 1024, 'y');
const server = http.createServer((req, res) => {
  const body = req.url === '/big' ? big : small;
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => process.exit(0));
