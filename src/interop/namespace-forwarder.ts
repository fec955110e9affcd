// Run inside a client's network namespace (through nsenter): accepts TCP on 127.0.0.1:<port> there and joins
// each connection to a Unix socket, which the host side forwards to the real server. Filesystem sockets cross
// network namespaces; TCP on loopback does not.
//   node namespace-forwarder.js <port> <unix socket path>
import { connect, createServer } from 'node:net';

const [portText, socketPath] = process.argv.slice(2);
const port = Number(portText);
if (!Number.isInteger(port) || port < 1 || port > 65535 || !socketPath) {
  process.stderr.write('usage: namespace-forwarder <port> <unix socket path>\n');
  process.exit(2);
}

const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.on('error', (error) => {
  process.stderr.write(`namespace-forwarder: ${error.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening on 127.0.0.1:${port}\n`));
