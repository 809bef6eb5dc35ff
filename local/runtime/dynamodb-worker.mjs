/**
 * dynalite on a thread of its own (started by ./dynamodb.ts): the local DynamoDB parses, validates
 * and encodes every request on this thread's event loop, so the API, the workers and the emulator
 * keep the main thread (and a 2-core machine's other core) to themselves. Plain JavaScript, so the
 * thread starts the same under tsx, vitest and plain node.
 *
 * workerData: { path, requests } (the LevelDB store, and a MessagePort). Posts { port } once
 * listening, or { error } if it could not listen; on the message 'close', closes the server and its
 * store (releasing the LevelDB lock), posts { closed: true } and lets the thread end.
 *
 * Clients in the main thread hand their requests over `requests` ({ id, method, path, headers,
 * body } → { id, statusCode, headers, body }: ./direct-transport.ts), answered by the same handler
 * as the HTTP port, which stays for clients elsewhere.
 */
import dynalite from 'dynalite';
import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { tuneDynalite } from './dynalite-tuning.mjs';

tuneDynalite(createRequire(import.meta.url));
const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
const handle = server.listeners('request')[0];
// dynalite checks that a request is signed, not the signature (neither does it over HTTP).
const SIGNED = { authorization: 'AWS4-HMAC-SHA256 Credential=local/19700101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=local' };

workerData.requests.on('message', ({ id, method, path, headers, body }) => {
  const req = Object.assign(new EventEmitter(), { method, url: path, headers: { ...SIGNED, 'x-amz-date': '19700101T000000Z', ...lowerCased(headers) } });
  const answer = {};
  const res = {
    statusCode: 200,
    setHeader: (name, value) => void (answer[name.toLowerCase()] = String(value)),
    end: (text) => workerData.requests.postMessage({ id, statusCode: res.statusCode, headers: answer, body: text === undefined ? '' : String(text) }),
  };
  handle(req, res);
  if (body.length) req.emit('data', typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  req.emit('end');
});

function lowerCased(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
server.once('error', (error) => parentPort.postMessage({ error: String(error) }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));

parentPort.on('message', (message) => {
  if (message !== 'close') return;
  workerData.requests.close();
  // dynalite's close also closes its LevelDB store.
  server.close((error) => {
    parentPort.postMessage(error ? { closed: true, error: String(error) } : { closed: true });
    parentPort.close();
  });
  // Idle keep-alive sockets from the SDK's agents would hold close() open until they time out.
  server.closeAllConnections?.();
});
