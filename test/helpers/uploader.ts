// A builder's uploader as a child process, so a test can SIGKILL it in the middle of an upload.
// Usage: node uploader.js <rpcUrl> <token> <taskId> <name> <size> <chunk> <delayMs>
// It sends `pattern(size)` in chunks with host.uploadFile, printing `sent <bytes>` after each chunk the
// hub accepted, waiting delayMs between chunks; it finishes with host.finishUpload and prints `done`.
import { pattern, sha256 } from './tasks.js';

async function main(): Promise<void> {
  const [rpcUrl, token, task, name, sizeText, chunkText, delayText] = process.argv.slice(2);
  const taskId = Number(task);
  const size = Number(sizeText);
  const chunk = Number(chunkText);
  const delay = Number(delayText);
  const data = pattern(size);
  let id = 0;
  const call = async (method: string, params: unknown[]) => {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    const body = (await res.json()) as { result?: unknown; error?: unknown };
    if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.result;
  };
  for (let off = 0; off < size; off += chunk) {
    await call('host.uploadFile', [taskId, name, off, data.subarray(off, off + chunk).toString('base64')]);
    process.stdout.write(`sent ${Math.min(size, off + chunk)}\n`);
    await new Promise((r) => setTimeout(r, delay));
  }
  await call('host.finishUpload', [taskId, name, size, sha256(data)]);
  process.stdout.write('done\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
