"""Judging a pair of marks: the comparisons by sound, look, meaning and structure, the registry of
evidence families, the rules' figures, profiles, the matcher and its evaluation on labelled pairs."""
