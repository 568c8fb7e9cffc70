"""The simulated Palo Alto Networks Data Security (Aperture) Log Events API."""
