// useLiveVoice: a React hook over tokenvend-client's LiveVoice. The component gets the
// conversation's state, transcript and microphone level as React state, and start/stop/
// sendText to call from its handlers (start from a click: browsers allow audio only
// after a user gesture).
import { useCallback, useEffect, useRef, useState } from 'react';
import { LiveVoice, type LiveVoiceConfig, type VoiceSnapshot } from 'tokenvend-client';

export interface LiveVoiceControls extends VoiceSnapshot {
  listening: boolean;
  start: () => Promise<void>;
  stop: () => void;
  sendText: (text: string) => Promise<boolean>;
}

const IDLE: VoiceSnapshot = {
  state: 'idle',
  status: '',
  transcript: [],
  microphoneLevel: 0,
  error: null,
  token: null,
  stats: { chunksSent: 0, playedMs: 0, connections: 0, resumptions: 0, turns: 0, tokens: 0 },
};

/** One conversation per component; a new `config.functionUrl` starts a new one. */
export function useLiveVoice(config: LiveVoiceConfig): LiveVoiceControls {
  const voice = useRef<LiveVoice | null>(null);
  const [snapshot, setSnapshot] = useState<VoiceSnapshot>(IDLE);
  const [level, setLevel] = useState(0);
  const [listening, setListening] = useState(false);

  useEffect(() => {
    const current = new LiveVoice(config);
    voice.current = current;
    const changed = (event: CustomEvent<VoiceSnapshot>) => {
      setSnapshot(event.detail);
      setListening(current.listening);
    };
    const leveled = (event: CustomEvent<{ microphone: number }>) => setLevel(event.detail.microphone);
    current.addEventListener('change', changed);
    current.addEventListener('level', leveled);
    return () => {
      current.removeEventListener('change', changed);
      current.removeEventListener('level', leveled);
      current.stop();
      voice.current = null;
    };
    // The config object is usually written inline: only what changes the session counts.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [config.functionUrl, config.model, config.liveBaseUrl]);

  const start = useCallback(async () => {
    await voice.current?.start();
  }, []);
  const stop = useCallback(() => voice.current?.stop(), []);
  const sendText = useCallback(async (text: string) => (await voice.current?.sendText(text)) ?? false, []);

  return { ...snapshot, microphoneLevel: level, listening, start, stop, sendText };
}
