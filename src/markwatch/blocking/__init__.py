"""Candidate generation (blocking): the keys each evidence family needs, the key index over the
brands, score bounds, the exact reference that scores every pair, and vector candidates."""
