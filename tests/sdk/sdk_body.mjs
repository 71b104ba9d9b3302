// Prints the auth_tokens request bodies the official JS SDK sends, for the differential
// test (test_sdk_diff.py). Reads a JSON list of {name, config} on stdin, where config is
// a CreateAuthTokenConfig; calls ai.authTokens.create for each with fetch stubbed (no
// request leaves the process) and writes a JSON list of {name, url, body} or
// {name, error} on stdout.
import { GoogleGenAI } from '@google/genai';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));

let sent = null;
globalThis.fetch = async (url, init) => {
  sent = { url: String(url), body: JSON.parse(init.body) };
  return new Response(JSON.stringify({ name: 'auth_tokens/stub' }), {
    status: 200,
    headers: { 'Content-Type': 'application/json' },
  });
};

const ai = new GoogleGenAI({ apiKey: 'sdk-diff-key', httpOptions: { apiVersion: 'v1alpha' } });
const results = [];
for (const { name, config } of cases) {
  sent = null;
  try {
    await ai.authTokens.create({ config });
    results.push({ name, url: sent.url, body: sent.body });
  } catch (error) {
    results.push({ name, error: String(error && error.message ? error.message : error) });
  }
}
process.stdout.write(JSON.stringify(results));
