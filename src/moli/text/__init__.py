"""Chinese text primitives: normalisation, segmentation, shingles, retrieval, metrics, lexicons."""
