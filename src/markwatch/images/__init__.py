"""Figurative and combined marks: image references and their store, decoding, and the picture features
(words read by OCR, perceptual hashes, an image embedding) the image channel compares.

Only `refs` works without the optional ``images`` extra; `decode` and `features` raise ``MissingExtra``
naming it when a model or decoder is missing.
"""
