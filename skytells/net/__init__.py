"""The network: one HTTP client, the standard OAuth protocols, the Skytells console and inference API."""
