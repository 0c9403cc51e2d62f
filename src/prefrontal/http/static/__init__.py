"""The web inbox page's script and style sheet, served as they are (no build step, no CDN)."""
