"""The simulated Forcepoint ONE SSE (Bitglass) Log Export API."""
