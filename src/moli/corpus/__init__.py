"""Corpus pipeline (语料流水线): documents, readers, steps, recipes, executors, writers, catalogue.

Raw documents become clean, de-duplicated, PII-free training shards:

    readers ──► map steps (per batch) ──► global steps (dedup) ──► writers ──► catalogue
"""
