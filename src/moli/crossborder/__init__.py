"""数据出境合规自检 / Cross-border data export check.

Scan a dataset for personal information, apply the rules in force on the transfer date
(CAC Order 16 since 2024-03-22; Orders 11 and 13 before), and name the export path with the
clauses cited. Rules are data: ``data/rules.yaml`` and ``data/negative_lists.yaml``.
"""
