"""Photo spec checks, face engines and the photo-check pipeline."""
