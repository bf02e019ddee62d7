"""The melody model: continue a melody or write one over chords; solos over a progression."""
