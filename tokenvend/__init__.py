"""tokenvend: short-lived, constrained Gemini Live tokens for browser apps."""
