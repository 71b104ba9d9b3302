'use client';
// A Next.js (App Router) page on the useLiveVoice hook. The microphone and the Live
// session exist only in the browser, hence 'use client'; the function URL is public
// configuration, so it comes from NEXT_PUBLIC_TOKENVEND_URL (inlined at build time).
import { useLiveVoice } from '../../../react/useLiveVoice';

const functionUrl = process.env.NEXT_PUBLIC_TOKENVEND_URL ?? 'http://127.0.0.1:8080/';

export default function VoicePage() {
  const voice = useLiveVoice({ functionUrl });
  return (
    <main>
      <button type="button" onClick={() => (voice.listening ? voice.stop() : void voice.start())}>
        {voice.listening ? 'Stop' : 'Start'}
      </button>
      <meter min={0} max={1} value={voice.microphoneLevel} aria-label="Microphone level" />
      <p role="status">{voice.status}</p>
      {voice.error && (
        <p role="alert">
          {voice.error.message} <button onClick={() => void voice.start()}>Try again</button>
        </p>
      )}
      <ol>
        {voice.transcript.map((entry, index) => (
          <li key={index}>
            {entry.who === 'you' ? 'You' : 'Gemini'}: {entry.text}
          </li>
        ))}
      </ol>
    </main>
  );
}
