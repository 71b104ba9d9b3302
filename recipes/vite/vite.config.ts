import { defineConfig } from 'vite';

// The microphone worklet stays a file of its own (Vite would inline a small asset as a
// data: URL), so a Content-Security-Policy can name it.
export default defineConfig({ build: { assetsInlineLimit: 0 } });
