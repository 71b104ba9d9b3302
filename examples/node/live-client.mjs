// A Node.js client of tokenvend, for a server-rendered or desktop app: the same token
// flow as the browser page. POST to the function, connect to Gemini Live with the token
// in place of an API key, send one text turn, and collect the spoken reply (24 kHz PCM)
// and its transcription.
//
//   TOKENVEND_FUNCTION_URL=https://...  node live-client.mjs "What is a good name for a cat?"
//
// Conversations longer than one connection (about ten minutes) resume with a session
// resumption handle: see client-js/src/voice-session.js for the pattern (or use the
// tokenvend-client package's VoiceSession, which does it).
import { writeFile } from 'node:fs/promises';

import { GoogleGenAI, Modality } from '@google/genai';
// The token fetch (ID token and App Check hooks, typed errors with the function's status,
// reason and Retry-After, a malformed answer refused) is the client package's.
import { fetchLiveToken } from 'tokenvend-client';

/** One turn: returns {token, transcript, audio (a Buffer of 16-bit PCM), mimeType}. */
export async function ask(functionUrl, text, { model = 'gemini-3.8-live', liveBaseUrl, idToken } = {}) {
  const token = await fetchLiveToken(functionUrl, { idToken });
  const ai = new GoogleGenAI({
    apiKey: token.name,
    httpOptions: { apiVersion: token.apiVersion, ...(liveBaseUrl ? { baseUrl: liveBaseUrl } : {}) },
  });
  const audio = [];
  let transcript = '';
  let mimeType = null;
  let finish;
  let fail;
  const done = new Promise((resolve, reject) => ((finish = resolve), (fail = reject)));
  const session = await ai.live.connect({
    model: token.model ?? model, // a constrained token names its model
    config: { responseModalities: [Modality.AUDIO], outputAudioTranscription: {} },
    callbacks: {
      onmessage: (message) => {
        const content = message.serverContent;
        for (const part of content?.modelTurn?.parts ?? []) {
          if (part.inlineData?.data) {
            audio.push(Buffer.from(part.inlineData.data, 'base64'));
            mimeType = part.inlineData.mimeType;
          }
        }
        transcript += content?.outputTranscription?.text ?? '';
        if (content?.turnComplete) finish();
      },
      onerror: (event) => fail(new Error(`Live session error: ${event.message ?? 'WebSocket error'}`)),
      onclose: (event) => fail(new Error(`Live session closed (${event.code}): ${event.reason || 'no reason given'}`)),
    },
  });
  try {
    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text }] }], turnComplete: true });
    await done;
  } finally {
    session.close();
  }
  return { token, transcript, audio: Buffer.concat(audio), mimeType };
}

async function main() {
  const functionUrl = process.env.TOKENVEND_FUNCTION_URL;
  if (!functionUrl) throw new Error('set TOKENVEND_FUNCTION_URL to the function URL (or http://127.0.0.1:8080/ for make run)');
  const reply = await ask(functionUrl, process.argv[2] ?? 'Hello! Who are you?', {
    liveBaseUrl: process.env.LIVE_BASE_URL,
  });
  await writeFile('reply.pcm', reply.audio);
  console.log(`Gemini: ${reply.transcript}`);
  console.log(`(${reply.audio.length} bytes of ${reply.mimeType} in reply.pcm)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
