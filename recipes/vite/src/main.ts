// A Vite app on tokenvend-client. The function URL comes from the environment at build
// time: VITE_TOKENVEND_URL in .env.local (or the shell), e.g.
//   VITE_TOKENVEND_URL=https://tokenvend-voice-assistant-….run.app/ npm run build
// The worklet is served by Vite (`?url`), for a Content-Security-Policy without blob:.
import { LiveVoice, TokenError } from 'tokenvend-client';
import workletUrl from 'tokenvend-client/mic-worklet.js?url';

const functionUrl = import.meta.env.VITE_TOKENVEND_URL;
if (!functionUrl) throw new Error('Set VITE_TOKENVEND_URL to your tokenvend function URL (see .env.example).');

const voice = new LiveVoice({ functionUrl, workletUrl });
const talk = document.querySelector<HTMLButtonElement>('#talk')!;
const level = document.querySelector<HTMLMeterElement>('#level')!;
const status = document.querySelector<HTMLParagraphElement>('#status')!;
const transcript = document.querySelector<HTMLOListElement>('#transcript')!;

talk.addEventListener('click', () => (voice.listening ? voice.stop() : void voice.start()));
voice.addEventListener('level', ({ detail }) => (level.value = detail.microphone));
voice.addEventListener('change', ({ detail }) => {
  talk.textContent = voice.listening ? 'Stop' : 'Start';
  status.textContent = detail.status;
  transcript.replaceChildren(
    ...detail.transcript.map(({ who, text }) => Object.assign(document.createElement('li'), { textContent: `${who}: ${text}` })),
  );
});
voice.addEventListener('error', ({ detail: { error } }) => {
  const wait = error instanceof TokenError && error.retryAfterSeconds ? ` Try again in ${error.retryAfterSeconds} s.` : '';
  status.textContent = `${error.message}${wait}`;
});
