/**
 * dynalite on a thread of its own (started by ./dynamodb.ts): the local DynamoDB parses, validates
 * and encodes every request on this thread's event loop, so the API, the workers and the emulator
 * keep the main thread (and a 2-core machine's other core) to themselves. Plain JavaScript, so the
 * thread starts the same under tsx, vitest and plain node.
 *
 * workerData: { path } (the LevelDB store). Posts { port } once listening, or { error } if it could
 * not listen; on the message 'close', closes the server and its store (releasing the LevelDB lock),
 * posts { closed: true } and lets the thread end.
 */
import dynalite from 'dynalite';
import { parentPort, workerData } from 'node:worker_threads';

const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (error) => parentPort.postMessage({ error: String(error) }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));

parentPort.on('message', (message) => {
  if (message !== 'close') return;
  // dynalite's close also closes its LevelDB store.
  server.close((error) => {
    parentPort.postMessage(error ? { closed: true, error: String(error) } : { closed: true });
    parentPort.close();
  });
  // Idle keep-alive sockets from the SDK's agents would hold close() open until they time out.
  server.closeAllConnections?.();
});
