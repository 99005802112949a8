"""Chinese mark text: normalising (traditional → simplified, width, case, generic words, pinyin,
segmentation), glyph look-alikes, the bilingual lexicon, and place names."""
